"""Parsing and validation of one telemetry payload: pure Python, no Flink.

`parse_record(payload)` returns a flat tuple in FIELDS order. `reason` is None for a valid record;
otherwise it is one of REASONS and `detail` says what exactly was wrong, and the value fields are
None. The checks are the contract documented in docs/record-and-alerts.md.
"""
from __future__ import annotations

import calendar
import json
import math
import re
from datetime import datetime
from pathlib import Path

# Dead-letter reason codes produced here. Lateness is measured in SQL (it needs the watermark)
# and passed in; 'duplicate' is decided in SQL (it needs keyed state).
REASONS = ("not_json", "not_object", "missing_field", "wrong_type", "out_of_range", "bad_event_time",
           "future_event_time", "late", "heartbeat", "parser_mismatch")
LATE_DETAIL = "event_time is at or behind the watermark"
HEARTBEAT_DETAIL = "a heartbeat: moves the watermark, carries no reading"
FUTURE_DETAIL = "event_time is further ahead of the stream's clock than job.max-future-skew.s"
PARSER_MISMATCH = "parser_mismatch"
PARSER_MISMATCH_DETAIL = ("a valid reading to this parser that valid_reading (Java) did not vouch for: a bug in the "
                          "job, the two must agree (tests/test_fuzz.py); replay the record after the fix")

# The record contract, one JSON Schema (draft-04) shared with the API Gateway model, the docs and the
# tests: the patterns, types and ranges below are read from it once, at import, into the same tuples
# the hot path always used. What a schema cannot say (a real calendar date, finite numbers) stays in
# the code below; docs/record-and-alerts.md lists the differences.
SCHEMA_PATH = Path(__file__).with_name("telemetry_record.schema.json")
RECORD_SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))

# {"heartbeat": true, "event_time": ...}: a record that only moves the watermark (closes windows
# when the fleet is quiet, or at the end of a finite run); dead-lettered with reason 'heartbeat'.
HEARTBEAT = "heartbeat"
_WHEELS = ("front_left", "front_right", "rear_left", "rear_right")


def _branch(title: str) -> dict:
    return next(b for b in RECORD_SCHEMA["anyOf"] if b["title"] == title)


def _unanchored(pattern: str) -> str:
    """'^X$' (JSON Schema patterns search, so the schema anchors them) -> X (used with fullmatch)."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        raise ValueError(f"{SCHEMA_PATH.name}: pattern {pattern!r} must be anchored with ^...$")
    return pattern[1:-1]


def _schema_numbers(node: dict, path: tuple[str, ...] = ()):
    """(path, integer?, min, max) of every required number under node, in the schema's order."""
    for name in node["required"]:
        sub = node["properties"][name]
        if sub.get("type") == "object":
            yield from _schema_numbers(sub, (*path, name))
        elif sub.get("type") in ("number", "integer"):
            yield (*path, name), sub["type"] == "integer", sub.get("minimum"), sub.get("maximum")


_READING = _branch("reading")
if _branch(HEARTBEAT)["properties"][HEARTBEAT] != {"enum": [True]}:
    raise ValueError(f"{SCHEMA_PATH.name}: the heartbeat branch must be keyed by {HEARTBEAT!r}: true")
_VEHICLE_ID = _READING["properties"]["vehicle_id"]
(FLEET_ID,) = _VEHICLE_ID["not"]["enum"]  # reserved for the fleet-wide window row
VEHICLE_ID = re.compile(_unanchored(_VEHICLE_ID["pattern"]))
# ASCII digits only (Python's \d also takes other scripts' digits, which the source's Java does not).
EVENT_TIME = re.compile(_unanchored(_READING["properties"]["event_time"]["pattern"]))

# Output columns, in the job's column order, and where each comes from in the record. Ranges are the
# schema's (physical ranges: a value outside is a broken sensor or a broken producer, never a fast car).
_COLUMNS = (
    ("speed", "speed"), ("rpm", "rpm"), ("gear", "gear"), ("throttle", "throttle"), ("brakes", "brakes"),
    ("steering_angle", "steering_angle"), ("engine_temp", "temperatures.engine"),
    *((f"brake_temp_{w}", f"temperatures.brakes.{w}") for w in _WHEELS),
    *((f"tire_temp_{w}", f"temperatures.tires.{w}") for w in _WHEELS),
    ("fuel_consumption", "fuel_consumption"), ("lap_time", "lap_time"),
)


def _from_schema():
    numbers = {path: (integer, lo, hi) for path, integer, lo, hi in _schema_numbers(_READING)}
    numeric = []
    for column, dotted in _COLUMNS:
        path = tuple(dotted.split("."))
        if path not in numbers or None in numbers[path][1:]:
            raise ValueError(f"{SCHEMA_PATH.name}: {dotted} must be a required number with minimum and maximum")
        integer, lo, hi = numbers.pop(path)
        cast = int if integer else float  # 0.0..500.0 and 0..25000 in the detail texts, however the JSON writes them
        numeric.append((column, path, integer, cast(lo), cast(hi)))
    for path, (integer, lo, hi) in numbers.items():
        if integer or lo is not None or hi is not None:
            raise ValueError(f"{SCHEMA_PATH.name}: {'.'.join(path)} has no column, so the parser checks only "
                             f"that it is a number: give it a column or drop its integer type and bounds")
    return tuple(numeric), tuple(numbers)


# (output column, path in the JSON, integer?, min, max), and the numbers required by the record
# contract but not used downstream: checked for presence and type only.
_NUMERIC, _REQUIRED_NUMBERS = _from_schema()

# The parser's columns in order, with their SQL types: the one place both readers of a record take
# them from (udfs/flink.py for parse_telemetry's result type, contract_json for valid_reading's).
# BIGINT, not INT, for integers: in thread mode PyFlink converts a Python int to INT with
# Long.intValue(), which throws on the None of a rejected record; staging casts the range-checked value.
COLUMN_TYPES = {**dict.fromkeys(("reason", "detail", "vehicle_id", "event_time"), "STRING"),
                **{column: "BIGINT" if integer else "DOUBLE" for column, _, integer, _, _ in _NUMERIC}}
FIELDS = tuple(COLUMN_TYPES)
_REJECT_PADDING = (None,) * (len(FIELDS) - 2)


class _Reject(Exception):
    def __init__(self, reason: str, detail: str):
        self.reason, self.detail = reason, detail


def _lookup(obj: dict, path: tuple[str, ...]):
    node = obj
    for i, part in enumerate(path):
        if not isinstance(node, dict):
            raise _Reject("wrong_type", f"{'.'.join(path[:i])} is not an object")
        if part not in node:
            raise _Reject("missing_field", f"missing field {'.'.join(path[:i + 1])}")
        node = node[part]
    return node


def _number(obj: dict, path: tuple[str, ...], integer: bool):
    value = _lookup(obj, path)
    # bool is an int subclass in Python, but true/false is never a measurement.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Reject("wrong_type", f"{'.'.join(path)} is {type(value).__name__}, expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Reject("out_of_range", f"{'.'.join(path)} is {value}")
    if integer:
        if isinstance(value, float):
            if not value.is_integer():
                raise _Reject("wrong_type", f"{'.'.join(path)} is {value!r}, expected an integer")
            value = int(value)
        return value
    try:
        return float(value)
    except OverflowError:   # an integer with hundreds of digits
        raise _Reject("out_of_range", f"{'.'.join(path)} is too large for a number") from None


def _event_time(obj: dict) -> str:
    event_time = _lookup(obj, ("event_time",))
    if not isinstance(event_time, str):
        raise _Reject("wrong_type", f"event_time is {type(event_time).__name__}, expected a string")
    if not EVENT_TIME.fullmatch(event_time):
        raise _Reject("bad_event_time", "event_time must look like 2026-11-23T12:00:00.250Z")
    try:
        # Cheaper than strptime on the hot path; the regex above fixed every offset.
        datetime(int(event_time[0:4]), int(event_time[5:7]), int(event_time[8:10]),
                 int(event_time[11:13]), int(event_time[14:16]), int(event_time[17:19]))
    except ValueError:
        raise _Reject("bad_event_time", "event_time is not a valid calendar time") from None
    return event_time


def _validate(payload: str) -> tuple:
    try:
        obj = json.loads(payload)
    except (ValueError, TypeError):
        raise _Reject("not_json", "payload is not valid JSON") from None
    except RecursionError:
        raise _Reject("not_json", "payload nests deeper than the parser reads (about 1000 levels)") from None
    if not isinstance(obj, dict):
        raise _Reject("not_object", f"payload is a JSON {type(obj).__name__}, expected an object")

    if obj.get(HEARTBEAT) is True:
        return (HEARTBEAT, HEARTBEAT_DETAIL, None, _event_time(obj), *_REJECT_PADDING[2:])
    vehicle_id = _lookup(obj, ("vehicle_id",))
    if not isinstance(vehicle_id, str):
        raise _Reject("wrong_type", f"vehicle_id is {type(vehicle_id).__name__}, expected a string")
    if not VEHICLE_ID.fullmatch(vehicle_id) or vehicle_id == FLEET_ID:
        raise _Reject("out_of_range", "vehicle_id must match [A-Za-z0-9_.:-]{1,64} and not be " + FLEET_ID)
    event_time = _event_time(obj)
    values = []
    for column, path, integer, lo, hi in _NUMERIC:
        value = _number(obj, path, integer)
        if not lo <= value <= hi:
            raise _Reject("out_of_range", f"{column}={value} outside {lo}..{hi}")
        values.append(value)
    for path in _REQUIRED_NUMBERS:
        _number(obj, path, False)
    return (None, None, vehicle_id, event_time, *values)


def event_ms(payload: str | None) -> int | None:
    """Epoch milliseconds of the record's event_time if the record is valid or a heartbeat, else
    None: the replay's source uses it so that a rejected record never moves a watermark."""
    return event_ms_and_vehicle(payload)[0]


def event_ms_and_vehicle(payload: str | None) -> tuple[int | None, str | None]:
    """event_ms, and the vehicle_id of a valid reading (None for a heartbeat or a rejected record),
    from one parse: the replay deals records to splits by vehicle as it stamps them."""
    if payload is None:
        return None, None
    try:
        parsed = _validate(payload)
    except _Reject:
        return None, None
    t = parsed[3]
    return calendar.timegm((int(t[0:4]), int(t[5:7]), int(t[8:10]), int(t[11:13]), int(t[14:16]),
                            int(t[17:19]))) * 1000 + int(t[20:23]), parsed[2]


def contract_json() -> str:
    """The checks of `_validate` as data, for their Java copy (TelemetryContract): the source applies
    them so that a record rejected here never moves a watermark there, and `valid_reading` reads a
    valid reading's columns with them (FIELDS order and types, as `parse_record` returns them) so
    that only the records it cannot vouch for come to `parse_record` for their reason."""
    numbers = [{"path": list(path), "integer": integer, "min": lo, "max": hi, "column": FIELDS.index(column)}
               for column, path, integer, lo, hi in _NUMERIC]
    numbers += [{"path": list(path), "integer": False, "min": None, "max": None, "column": None}
                for path in _REQUIRED_NUMBERS]
    columns = [[name, sql_type] for name, sql_type in COLUMN_TYPES.items()]
    return json.dumps({"heartbeat": HEARTBEAT, "vehicle_id": {"pattern": VEHICLE_ID.pattern, "reserved": FLEET_ID},
                       "numbers": numbers, "columns": columns})


def parse_record(payload: str | None, future: bool = False, late: bool = False) -> tuple:
    """One payload -> FIELDS tuple; never raises, so one bad record cannot fail the job.

    A malformed record is rejected for what is wrong with it; a well-formed one whose event time
    the source found too far ahead is 'future_event_time', else one that arrived late is 'late';
    both keep their vehicle_id and event_time for the dead letter.
    """
    if payload is None:
        return ("not_json", "empty payload", *_REJECT_PADDING)
    try:
        parsed = _validate(payload)
    except _Reject as r:
        return (r.reason, r.detail, *_REJECT_PADDING)
    if parsed[0] == HEARTBEAT:
        return parsed if not future else ("future_event_time", FUTURE_DETAIL, *parsed[2:])
    if future:
        return ("future_event_time", FUTURE_DETAIL, parsed[2], parsed[3], *_REJECT_PADDING[2:])
    if late:
        return ("late", LATE_DETAIL, parsed[2], parsed[3], *_REJECT_PADDING[2:])
    return parsed


def explain_rejection(payload: str | None, future: bool = False, late: bool = False) -> tuple:
    """parse_record for a record the job already knows it rejects: valid_reading (Java) did not
    vouch for it, or the source found it too far ahead or late (sql/11_staging_explained.sql).
    Always a rejection: a reading valid here (never, while the two agree) is 'parser_mismatch',
    kept as a dead letter. Valid readings reach the outputs only through valid_reading, one path
    from the source: a second one (these rows) let the watermark overtake them (12_staging_parsed.sql)."""
    row = parse_record(payload, future, late)
    if row[0] is None:
        return (PARSER_MISMATCH, PARSER_MISMATCH_DETAIL, row[2], row[3], *_REJECT_PADDING[2:])
    return row

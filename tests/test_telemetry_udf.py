"""The parse/validate UDF as a pure function, without Flink."""
from __future__ import annotations

import json
import math

import pytest

from tests.fixtures import line, record
from udfs.telemetry import (
    COLUMN_TYPES,
    FIELDS,
    HEARTBEAT_DETAIL,
    LATE_DETAIL,
    PARSER_MISMATCH_DETAIL,
    REASONS,
    event_ms_and_vehicle,
    explain_rejection,
    parse_record,
)

pytestmark = pytest.mark.unit


def parsed(payload, late=False, future=False) -> dict:
    return dict(zip(FIELDS, parse_record(payload, future, late)))


def test_valid_record_is_flattened():
    r = parsed(line(record("veh-1", 0.25, speed=201.5, fuel_consumption=2.4, lap_time=75.6)))
    assert r["reason"] is None and r["detail"] is None
    assert r["vehicle_id"] == "veh-1"
    assert r["event_time"] == "2026-11-23T12:00:00.250Z"
    assert r["speed"] == 201.5 and r["rpm"] == 12000 and r["gear"] == 5
    assert r["engine_temp"] == 100.0
    assert r["brake_temp_front_right"] == 310.0 and r["tire_temp_rear_right"] == 92.0
    assert (r["fuel_consumption"], r["lap_time"]) == (2.4, 75.6)


def test_column_types_are_the_parsers_value_types():
    # One list of column types feeds parse_telemetry's result type and valid_reading's Java row:
    # it must say what parse_record actually returns, column by column.
    values = parse_record(line(record("veh-1", 0.25, speed=201, rpm=15000.0, fuel_consumption=2)))
    values = ("", "", *values[2:])  # a valid reading's reason and detail are None: STRING when set
    python_type = {"STRING": str, "BIGINT": int, "DOUBLE": float}
    assert [(name, type(v)) for name, v in zip(FIELDS, values)] == \
        [(name, python_type[t]) for name, t in COLUMN_TYPES.items()]
    assert set(COLUMN_TYPES.values()) == {"STRING", "BIGINT", "DOUBLE"}


def test_event_time_and_vehicle_come_from_one_parse():
    # 2026-11-23T12:00:00.250Z
    assert event_ms_and_vehicle(line(record("veh-1", 0.25))) == (1795435200250, "veh-1")
    beat = json.dumps({"heartbeat": True, "event_time": "2026-11-23T12:05:00.000Z"})
    assert event_ms_and_vehicle(beat) == (1795435500000, None)
    assert event_ms_and_vehicle(line(record("veh-1", 0, speed=900.0))) == (None, None)
    assert event_ms_and_vehicle("not json") == event_ms_and_vehicle(None) == (None, None)


def test_the_job_s_parser_call_always_rejects():
    """parse_telemetry runs only for records the job rejects (sql/11_staging_explained.sql): a reading
    valid to the parser there is a mismatch with valid_reading, dead-lettered, never a valid row."""
    valid = line(record("veh-1", 11))
    assert parse_record(valid)[0] is None
    none = (None,) * (len(FIELDS) - 4)
    assert explain_rejection(valid) == ("parser_mismatch", PARSER_MISMATCH_DETAIL, "veh-1",
                                        "2026-11-23T12:00:11.000Z", *none)
    assert explain_rejection(valid, late=True) == ("late", LATE_DETAIL, "veh-1", "2026-11-23T12:00:11.000Z", *none)
    assert explain_rejection("{") == parse_record("{")
    assert "parser_mismatch" in REASONS


def test_integral_float_is_accepted_for_integer_fields():
    r = parsed(line(record("v", 0, rpm=15000.0)))
    assert r["reason"] is None and r["rpm"] == 15000 and isinstance(r["rpm"], int)


@pytest.mark.parametrize("payload, reason, detail", [
    ("not json", "not_json", "payload is not valid JSON"),
    ('{"speed": 1', "not_json", "payload is not valid JSON"),
    ("\x00\xff\ufffd", "not_json", "payload is not valid JSON"),
    ("", "not_json", "payload is not valid JSON"),
    ("[1, 2]", "not_object", "payload is a JSON list, expected an object"),
    ('"text"', "not_object", "payload is a JSON str, expected an object"),
])
def test_unreadable_payloads(payload, reason, detail):
    r = parsed(payload)
    assert (r["reason"], r["detail"]) == (reason, detail)
    assert all(r[f] is None for f in FIELDS[2:])


def _with(path: str, value):
    r = record("v", 0)
    node = r
    *parents, leaf = path.split(".")
    for p in parents:
        node = node[p]
    if value is KeyError:
        del node[leaf]
    else:
        node[leaf] = value
    return json.dumps(r, allow_nan=True)


@pytest.mark.parametrize("path, value, reason, detail", [
    ("speed", KeyError, "missing_field", "missing field speed"),
    ("temperatures.brakes.rear_left", KeyError, "missing_field", "missing field temperatures.brakes.rear_left"),
    ("pressures.tires", KeyError, "missing_field", "missing field pressures.tires"),
    ("vehicle_id", KeyError, "missing_field", "missing field vehicle_id"),
    ("speed", "fast", "wrong_type", "speed is str, expected a number"),
    ("speed", True, "wrong_type", "speed is bool, expected a number"),
    ("rpm", 120.5, "wrong_type", "rpm is 120.5, expected an integer"),
    ("temperatures", [1], "wrong_type", "temperatures is not an object"),
    ("vehicle_id", 7, "wrong_type", "vehicle_id is int, expected a string"),
    ("speed", -1.0, "out_of_range", "speed=-1.0 outside 0.0..500.0"),
    ("gear", 9, "out_of_range", "gear=9 outside 0..8"),
    ("throttle", 1.5, "out_of_range", "throttle=1.5 outside 0.0..1.0"),
    ("speed", math.nan, "out_of_range", "speed is nan"),
    ("temperatures.engine", math.inf, "out_of_range", "temperatures.engine is inf"),
    ("speed", 10 ** 400, "out_of_range", "speed is too large for a number"),   # crashed the job once
    ("rpm", 10 ** 400, "out_of_range", "rpm=" + str(10 ** 400) + " outside 0..25000"),
    ("lap_time", 0.0, "out_of_range", "lap_time=0.0 outside 1e-09..3600.0"),
    ("vehicle_id", "a,b", "out_of_range", "vehicle_id must match [A-Za-z0-9_.:-]{1,64} and not be __fleet__"),
    ("vehicle_id", "__fleet__", "out_of_range", "vehicle_id must match [A-Za-z0-9_.:-]{1,64} and not be __fleet__"),
    ("event_time", "2026-11-23T12:00:00Z", "bad_event_time", "event_time must look like 2026-11-23T12:00:00.250Z"),
    ("event_time", "\u0662\u0660\u0662\u0666-11-23T12:00:00.000Z", "bad_event_time",
     "event_time must look like 2026-11-23T12:00:00.250Z"),
    ("event_time", "2026-02-30T12:00:00.000Z", "bad_event_time", "event_time is not a valid calendar time"),
    ("event_time", 1700000000, "wrong_type", "event_time is int, expected a string"),
])
def test_invalid_fields(path, value, reason, detail):
    r = parsed(_with(path, value))
    assert (r["reason"], r["detail"]) == (reason, detail)
    assert r["reason"] in REASONS


def test_boundaries_are_inclusive():
    assert parsed(line(record("v", 0, speed=0.0, gear=0, throttle=1.0, steering_angle=-1.0)))["reason"] is None
    assert parsed(line(record("v", 0, speed=500.0, gear=8)))["reason"] is None


def test_a_heartbeat_is_its_own_reason_and_never_late():
    beat = json.dumps({"heartbeat": True, "event_time": "2026-11-23T12:05:00.000Z"})
    r = parsed(beat, late=True)
    assert (r["reason"], r["detail"], r["event_time"]) == ("heartbeat", HEARTBEAT_DETAIL, "2026-11-23T12:05:00.000Z")
    assert all(r[f] is None for f in FIELDS[4:])
    assert parsed(beat, future=True)["reason"] == "future_event_time"
    assert parsed(json.dumps({"heartbeat": True, "event_time": "soon"}))["reason"] == "bad_event_time"
    # only true makes a heartbeat: anything else is a reading, checked as one
    assert parsed(json.dumps({"heartbeat": 1, "event_time": "2026-11-23T12:05:00.000Z"}))["reason"] == "missing_field"
    assert parsed(line(dict(record("v", 0), heartbeat=False)))["reason"] is None


def test_late_keeps_identity_but_no_values():
    r = parsed(line(record("veh-9", 5.0)), late=True)
    assert (r["reason"], r["vehicle_id"], r["event_time"]) == ("late", "veh-9", "2026-11-23T12:00:05.000Z")
    assert all(r[f] is None for f in FIELDS[4:])
    # a malformed record is rejected for what is wrong with it, late or not
    assert parsed("nope", late=True)["reason"] == "not_json"


def test_none_payload():
    assert parsed(None)["reason"] == "not_json"


def test_future_keeps_identity_and_wins_over_late():
    # The source gives a too-far-ahead record the epoch as event time, so it is also "late".
    r = parsed(line(record("veh-9", 5.0)), late=True, future=True)
    assert (r["reason"], r["vehicle_id"], r["event_time"]) == ("future_event_time", "veh-9", "2026-11-23T12:00:05.000Z")
    assert all(r[f] is None for f in FIELDS[4:])
    # what is wrong with the record itself comes first
    assert parsed(line(dict(record("veh-9", 5.0), event_time="soon")), future=True)["reason"] == "bad_event_time"

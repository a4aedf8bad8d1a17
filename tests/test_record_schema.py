"""The record contract, udfs/telemetry_record.schema.json, against the parser that derives its checks
from it: for every record of a corpus (hand-made, the simulator's faults, hypothesis-generated) the
schema (as API Gateway's request validator applies it, draft-04) and `parse_record` agree on
valid/invalid, except for the differences docs/record-and-alerts.md lists, each tested here."""
from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures import record
from udfs import telemetry
from udfs.telemetry import RECORD_SCHEMA, SCHEMA_PATH, parse_record

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency")

pytestmark = pytest.mark.unit

VALIDATOR = jsonschema.Draft4Validator(RECORD_SCHEMA)
WHEELS = ("front_left", "front_right", "rear_left", "rear_right")
T = "2026-11-23T12:00:00.250Z"


def schema_ok(obj) -> bool:
    return VALIDATOR.is_valid(obj)


def parser_ok(obj) -> bool:
    return parse_record(json.dumps(obj, allow_nan=True))[0] in (None, "heartbeat")


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path, node


def known_difference(obj) -> str | None:
    """Which documented difference (docs/record-and-alerts.md, 'What the schema cannot say') obj hits."""
    if not isinstance(obj, dict):
        return None
    if obj.get("heartbeat") is True:
        vid = obj.get("vehicle_id", "x")
        if not (isinstance(vid, str) and telemetry.VEHICLE_ID.fullmatch(vid)):
            return "heartbeat_partition_key"  # the schema checks it (it is the partition key), the parser ignores it
    numbers = [v for _, v in _leaves(obj) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
        return "non_finite"
    if any(isinstance(v, int) and abs(v) > 1e308 for v in numbers):
        return "huge_integer"
    et = obj.get("event_time")
    if isinstance(et, str) and telemetry.EVENT_TIME.fullmatch(et) and parse_record(json.dumps(
            {"heartbeat": True, "event_time": et}))[0] == "bad_event_time":
        return "calendar"
    for _, path, integer, _, _ in telemetry._NUMERIC:
        node = obj
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if integer and isinstance(node, float) and node.is_integer():
            return "integral_float"
    vid = obj.get("vehicle_id")
    if isinstance(vid, str) and vid.endswith("\n") and telemetry.VEHICLE_ID.fullmatch(vid[:-1]):
        return "trailing_newline"
    return None


def assert_agree(obj):
    schema, parser = schema_ok(obj), parser_ok(obj)
    diff = known_difference(obj)
    if diff is None:
        assert schema == parser, (obj, parse_record(json.dumps(obj, allow_nan=True))[:2],
                                  [e.message for e in VALIDATOR.iter_errors(obj)][:3])
    else:
        # Each difference goes one known way (or none, when something else is wrong too).
        assert schema == parser or (schema, parser) == EXPECTED_DIFFERENCE[diff], (diff, obj)


EXPECTED_DIFFERENCE = {  # (schema valid?, parser valid?)
    "calendar": (True, False), "non_finite": (True, False), "huge_integer": (True, False),
    "integral_float": (False, True), "trailing_newline": (True, False), "heartbeat_partition_key": (False, True),
}


def _with(path: str, value) -> dict:
    r = record("veh-1", 0.25)
    node = r
    *parents, leaf = path.split(".")
    for p in parents:
        node = node[p]
    if value is KeyError:
        del node[leaf]
    else:
        node[leaf] = value
    return r


def _paths(node, prefix=""):
    for k, v in node.items():
        yield prefix + k
        if isinstance(v, dict):
            yield from _paths(v, prefix + k + ".")


ALL_PATHS = list(_paths(record("veh-1", 0)))
COLUMN_PATHS = {".".join(path): (integer, lo, hi) for _, path, integer, lo, hi in telemetry._NUMERIC}


def corpus() -> list:
    out = [record("veh-1", 0.25), record("a" * 64, 1.0), record("A.b:c_d-0", 2), {"heartbeat": True, "event_time": T},
           {"heartbeat": True, "event_time": T, "vehicle_id": "shard-0"},
           {**record("veh-1", 0), "extra": {"anything": [1, None]}},  # other properties are ignored
           {**record("veh-1", 0), "heartbeat": False}, {**record("veh-1", 0), "heartbeat": 1},
           {**record("veh-1", 0), "heartbeat": "true"}, {"heartbeat": 1, "event_time": T},
           {"heartbeat": True}, {"heartbeat": True, "event_time": "2026-11-23 12:00:00"},
           {"heartbeat": True, "event_time": 5}, {"heartbeat": "yes", "event_time": T},
           [record("veh-1", 0)], "text", 5, None, {}]
    for path in ALL_PATHS:  # every field missing, and of every wrong type
        out.append(_with(path, KeyError))
        for wrong in ("1", True, None, [1], {"a": 1}, 1.5, 7):
            out.append(_with(path, wrong))
    for path, (integer, lo, hi) in COLUMN_PATHS.items():  # ranges: at, just inside and just outside the bounds
        step = 1 if integer else 1e-6
        for v in (lo, hi, lo - step, hi + step, lo + step, hi - step):
            out.append(_with(path, v))
    for vid in ("", "a" * 65, "veh 1", "veh/1", "vëh", "__fleet__", "__fleet__x", "veh-1\n", "\nveh-1"):
        out.append(_with("vehicle_id", vid))
    for et in ("2026-11-23T12:00:00Z", "2026-11-23T12:00:00.250", "2026-11-23T12:00:00.250+00:00",
               "2026-11-23 12:00:00.250Z", "2026-11-23T12:00:00.2500Z", "2026-02-30T12:00:00.250Z",
               "2026-13-01T12:00:00.250Z", "2026-11-23T24:00:00.250Z", "2026-11-23T12:00:00.250Z\n",
               "٢٠٢٦-11-23T12:00:00.250Z"):
        out.append(_with("event_time", et))
    out += [_with("rpm", 15000.0), _with("gear", 3.0), _with("speed", float("nan")),
            _with("suspension.ride_height", float("inf")), _with("suspension.ride_height", 10 ** 400),
            _with("speed", 10 ** 400), {"heartbeat": True, "event_time": T, "vehicle_id": 7}]
    return out


def test_schema_is_draft_04_and_what_the_parser_was_built_from():
    assert RECORD_SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    jsonschema.Draft4Validator.check_schema(RECORD_SCHEMA)
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == RECORD_SCHEMA
    reading = next(b for b in RECORD_SCHEMA["anyOf"] if b["title"] == "reading")
    assert reading["properties"]["vehicle_id"]["pattern"] == f"^{telemetry.VEHICLE_ID.pattern}$"
    assert reading["properties"]["event_time"]["pattern"] == f"^{telemetry.EVENT_TIME.pattern}$"
    # Every number the parser checks is in the schema with its range, and nothing more is required.
    for _, path, integer, lo, hi in telemetry._NUMERIC:
        node = reading
        for part in path:
            node = node["properties"][part]
        assert (node["type"], node["minimum"], node["maximum"]) == ("integer" if integer else "number", lo, hi)
    checked = [path for _, path, *_ in telemetry._NUMERIC] + list(telemetry._REQUIRED_NUMBERS)
    assert sorted(checked) == sorted(p for p, v in _leaves(record("v", 0)) if not isinstance(v, str))


def test_the_parser_refuses_a_schema_it_cannot_apply(monkeypatch):
    bad = copy.deepcopy(RECORD_SCHEMA)
    next(b for b in bad["anyOf"] if b["title"] == "reading")["properties"]["suspension"]["properties"][
        "ride_height"]["minimum"] = 0
    monkeypatch.setattr(telemetry, "_READING", next(b for b in bad["anyOf"] if b["title"] == "reading"))
    with pytest.raises(ValueError, match="ride_height has no column"):
        telemetry._from_schema()


@pytest.mark.parametrize("obj", corpus(), ids=lambda o: json.dumps(o, allow_nan=True)[:60])
def test_schema_and_parser_agree(obj):
    assert_agree(obj)


@pytest.mark.parametrize("diff, obj", [
    ("calendar", _with("event_time", "2026-02-30T12:00:00.250Z")),
    ("non_finite", _with("speed", float("nan"))),
    ("huge_integer", _with("suspension.ride_height", 10 ** 400)),
    ("integral_float", _with("rpm", 15000.0)),
    ("trailing_newline", _with("vehicle_id", "veh-1\n")),
    ("heartbeat_partition_key", {"heartbeat": True, "event_time": T, "vehicle_id": "no spaces"}),
])
def test_each_documented_difference_is_real(diff, obj):
    assert known_difference(obj) == diff
    assert (schema_ok(obj), parser_ok(obj)) == EXPECTED_DIFFERENCE[diff]


def test_the_simulators_faults_are_judged_alike():
    from simulator import FleetConfig, generate

    sim = generate(FleetConfig(vehicles=4, duration=300, malformed_rate=0.2, seed=11))
    records = list(sim)
    malformed = [records[e["index"]][1] for e in sim.manifest if e["kind"] == "malformed"]
    assert len(malformed) > 100
    for data in malformed:
        try:
            obj = json.loads(data)
        except ValueError:
            continue  # not JSON: API Gateway refuses the body before any model applies
        assert_agree(obj)


_json_values = st.recursive(st.none() | st.booleans() | st.integers(-10 ** 6, 10 ** 6) | st.floats(allow_nan=False)
                            | st.text(max_size=8), lambda c: st.lists(c, max_size=3) | st.dictionaries(
                                st.text(max_size=4), c, max_size=3), max_leaves=5)


@st.composite
def _mutated(draw):
    r = record(draw(st.sampled_from(["veh-1", "v", "x" * 64])), draw(st.floats(0, 86_400)))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        if path in COLUMN_PATHS:
            integer, lo, hi = COLUMN_PATHS[path]
            span = hi - lo
            value = draw(st.integers(lo - 2, hi + 2) if integer else
                         st.floats(lo - span / 10, hi + span / 10) | st.sampled_from([lo, hi]) | _json_values)
        elif path == "vehicle_id":
            value = draw(st.from_regex(r"[A-Za-z0-9_.:\- /]{0,66}", fullmatch=True) | _json_values)
        elif path == "event_time":
            value = draw(st.from_regex(r"20[0-9]{2}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9]\.[0-9]{3}Z",
                                       fullmatch=True) | _json_values)
        else:
            value = draw(st.just(KeyError) | _json_values)
        node, *parents = r, *path.split(".")
        leaf = parents.pop()
        for p in parents:
            node = node.get(p) if isinstance(node, dict) else None
        if isinstance(node, dict):
            if value is KeyError:
                node.pop(leaf, None)
            else:
                node[leaf] = value
    if draw(st.booleans()) and draw(st.booleans()):
        r["heartbeat"] = draw(st.sampled_from([True, False, 1, "true", None]))
    return r


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_schema_and_parser_agree_on_generated_records(obj):
    assert_agree(obj)

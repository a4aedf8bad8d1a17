"""The business SQL on Flink's MiniCluster, through the replay (filesystem source and sinks).

One hand-made fixture covers every scenario, one vehicle each; expectations are written out by
hand or computed here from the fixture with plain Python, never by the job's own code.
"""
from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict

import pytest

from jobs.replay import replay_config, run
from tests.fixtures import line, record, ts

pytestmark = pytest.mark.sql

VALID = {  # vehicle -> [(seconds, record fields)] in event-time order
    "edge": [(1.0, dict(speed=200.0, fuel_consumption=2.5, lap_time=81.3)), (2.0, dict(speed=199.99))],
    "win": [(59.999, dict(speed=210.0)), (60.0, dict(speed=150.0))],
    "ooo": [(17.0, {}), (20.0, {})],
    "dup": [(12.0, {})],
    "under": [(10.0, dict(engine=100.0)), (40.0, dict(engine=105.0))],
    "over": [(10.0, dict(engine=100.0)), (40.0, dict(engine=105.1))],
    "cool30": [(0.0, dict(engine=100.0)), (10.0, dict(engine=110.0)), (40.0, dict(engine=120.0))],
    "cool90": [(0.0, dict(engine=100.0)), (10.0, dict(engine=110.0)), (80.0, dict(engine=100.0)),
               (100.0, dict(engine=110.0))],
    "hot": [(30.0, dict(engine=131.0))],
}


def _malformed() -> list[tuple[str, str]]:
    missing = record("bad", 3.0)
    del missing["temperatures"]["tires"]["rear_left"]
    return [
        ("not_json", "this is not json"),
        ("not_object", "[1, 2, 3]"),
        ("missing_field", line(missing)),
        ("wrong_type", line(record("bad", 3.0, speed="fast"))),
        ("out_of_range", line(record("bad", 3.0, gear=9))),
        ("bad_event_time", line(dict(record("bad", 3.0), event_time="2026-11-23 12:00:03"))),
    ]


def fixture_lines() -> list[str]:
    """Send order: malformed first, then by event time, with the out-of-order, duplicate and
    late records placed where they test something."""
    timeline = sorted((t, v, f) for v, recs in VALID.items() for t, f in recs if v != "ooo")
    lines = [payload for _, payload in _malformed()]
    for t, v, f in timeline:
        lines.append(line(record(v, t, **f)))
        if v == "dup":
            lines.append(line(record(v, t, **f)))          # same vehicle_id and event_time
    # ooo: 20 s arrives, then 17 s (3 s behind the newest, within the 5 s bound).
    at = _index_after(lines, 20.0)
    lines[at:at] = [line(record("ooo", 20.0)), line(record("ooo", 17.0))]
    # late: 5 s arrives after 100 s was seen: the watermark is at 95 s.
    lines.append(line(record("late", 5.0)))
    return lines


def _index_after(lines: list[str], seconds: float) -> int:
    """Position after the last well-formed line with event_time <= seconds."""
    pos = 0
    for i, l in enumerate(lines):
        try:
            r = json.loads(l)
        except ValueError:
            continue
        if isinstance(r, dict) and r.get("event_time", "9") <= ts(seconds):
            pos = i + 1
    return pos


def _alert_id(vehicle, rule, channel, seconds):
    return hashlib.md5(f"{vehicle}|{rule}|{channel}|{ts(seconds)}".encode()).hexdigest()


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    source = folder / "input.jsonl"
    # Binary garbage (invalid UTF-8) must become a dead letter, not a failed Python worker.
    source.write_bytes(b"\xb5\xff\xfe garbage\n" + "\n".join(fixture_lines()).encode() + b"\n")
    summary = run(source, folder / "out", replay_config())
    return folder / "out", summary


def _jsonl(path):
    return [json.loads(l) for l in path.read_text().splitlines() if l]


def test_counts_reconcile(replay):
    out, summary = replay
    assert summary["records_read"] == 19 + 9
    assert summary["valid"] == 19
    assert summary["rejected"] == 9
    assert summary["reconciled"] is True


def test_each_dead_letter_reason_once(replay):
    out, _ = replay
    letters = _jsonl(out / "dead_letters.jsonl")
    assert sorted(d["reason"] for d in letters) == sorted(
        ["not_json", "not_json", "not_object", "missing_field", "wrong_type", "out_of_range", "bad_event_time",
         "duplicate", "late"])
    by_reason = {d["reason"]: d for d in letters}
    assert sorted(d["payload"] for d in letters if d["reason"] == "not_json") == [
        "this is not json", "\ufffd\ufffd\ufffd garbage"]
    assert by_reason["duplicate"]["vehicle_id"] == "dup"
    assert by_reason["duplicate"]["event_time"] == ts(12.0)
    assert by_reason["late"]["vehicle_id"] == "late"
    assert by_reason["missing_field"]["detail"] == "missing field temperatures.tires.rear_left"
    assert by_reason["out_of_range"]["detail"].startswith("gear=9")
    assert all(d["rejected_at"].endswith("Z") and json.loads(json.dumps(d["payload"])) for d in letters)


def test_fast_laps_keep_exactly_speed_at_or_above_200(replay):
    out, _ = replay
    rows = list(csv.reader((out / "fast_laps.csv").read_text().splitlines()))
    parsed = sorted((r[0], r[1], float(r[2]), int(r[3]), int(r[4]), float(r[5]), float(r[6])) for r in rows)
    # edge: 200.0 kept, 199.99 not; EXTRA2 = fuel_consumption * lap_time.
    assert parsed == [
        ("edge", ts(1.0), 200.0, 12000, 5, 0.5, 2.5 * 81.3),
        ("win", ts(59.999), 210.0, 12000, 5, 0.5, 2.0 * 80.0),
    ]


def _expected_windows():
    per_key = defaultdict(list)
    for v, recs in VALID.items():
        for t, f in recs:
            r = record(v, t, **f)
            start = 0.0 if t < 60.0 else 60.0
            per_key[(v, start)].append(r)
            per_key[("__fleet__", start)].append(r)
    expected = {}
    for (v, start), rs in per_key.items():
        temps = [r["temperatures"] for r in rs]
        expected[(v, ts(start))] = {
            "window_end": ts(start + 60.0),
            "record_count": len(rs),
            "active_vehicles": len({r["vehicle_id"] for r in rs}),
            "avg_speed": sum(r["speed"] for r in rs) / len(rs),
            "max_speed": max(r["speed"] for r in rs),
            "max_rpm": max(r["rpm"] for r in rs),
            "avg_throttle": sum(r["throttle"] for r in rs) / len(rs),
            "avg_engine_temp": sum(t["engine"] for t in temps) / len(rs),
            "max_engine_temp": max(t["engine"] for t in temps),
            "max_brake_temp": max(max(t["brakes"].values()) for t in temps),
            "max_tire_temp": max(max(t["tires"].values()) for t in temps),
            "avg_extra2": sum(r["fuel_consumption"] * r["lap_time"] for r in rs) / len(rs),
        }
    return expected


def test_window_aggregates_per_vehicle_and_fleet(replay):
    out, _ = replay
    rows = {(w.pop("vehicle_id"), w.pop("window_start")): w for w in _jsonl(out / "window_aggregates.jsonl")}
    expected = _expected_windows()
    assert set(rows) == set(expected)
    for key, want in expected.items():
        for field, value in want.items():
            # Averages: the job sums in arrival order, this test in event-time order.
            want_value = pytest.approx(value, rel=1e-12) if isinstance(value, float) else value
            assert rows[key][field] == want_value, (key, field)
    # Boundaries: 59.999 and 60.000 fall in consecutive windows.
    assert rows[("win", ts(0.0))]["record_count"] == 1 and rows[("win", ts(60.0))]["record_count"] == 1
    assert rows[("__fleet__", ts(0.0))]["active_vehicles"] == 9
    assert rows[("__fleet__", ts(0.0))]["record_count"] == 16
    assert rows[("__fleet__", ts(60.0))]["record_count"] == 3


def test_latest_state_is_newest_by_event_time(replay):
    out, _ = replay
    state = {s["vehicle_id"]: s for s in _jsonl(out / "latest_state.jsonl")}
    assert set(state) == set(VALID)
    assert state["ooo"]["last_event_time"] == ts(20.0)      # 17 s arrived later but is older
    assert state["cool90"]["last_event_time"] == ts(100.0)
    assert state["cool90"]["engine_temp"] == 110.0
    assert state["edge"]["extra2"] == 2.0 * 80.0


def test_alerts_threshold_rate_and_cooldown(replay):
    out, _ = replay
    alerts = _jsonl(out / "alerts.jsonl")
    got = sorted((a["vehicle_id"], a["rule"], a["channel"], a["value"], a["threshold"], a["baseline"],
                  a["event_time"], a["alert_id"]) for a in alerts)
    assert got == sorted([
        # 'under' rose exactly 5.0 in 30 s: not more than the allowed 5.0, so no alert.
        ("over", "rate_of_change", "engine", 105.1, 5.0, 100.0, ts(40.0), _alert_id("over", "rate_of_change", "engine", 40.0)),
        # second ramp 30 s after the first: inside the 60 s cooldown, suppressed.
        ("cool30", "rate_of_change", "engine", 110.0, 5.0, 100.0, ts(10.0), _alert_id("cool30", "rate_of_change", "engine", 10.0)),
        # ramps 90 s apart: two alerts.
        ("cool90", "rate_of_change", "engine", 110.0, 5.0, 100.0, ts(10.0), _alert_id("cool90", "rate_of_change", "engine", 10.0)),
        ("cool90", "rate_of_change", "engine", 110.0, 5.0, 100.0, ts(100.0), _alert_id("cool90", "rate_of_change", "engine", 100.0)),
        ("hot", "threshold", "engine", 131.0, 130.0, None, ts(30.0), _alert_id("hot", "threshold", "engine", 30.0)),
    ])
    assert all(a["detected_at"].endswith("Z") for a in alerts)


def test_rerun_rewrites_identical_windows_and_alert_ids(replay, tmp_path):
    out, _ = replay
    summary = run(out.parent / "input.jsonl", tmp_path / "again", replay_config())
    assert summary["reconciled"]
    assert sorted(_jsonl(tmp_path / "again" / "window_aggregates.jsonl"), key=json.dumps) == \
        sorted(_jsonl(out / "window_aggregates.jsonl"), key=json.dumps)
    assert sorted(a["alert_id"] for a in _jsonl(tmp_path / "again" / "alerts.jsonl")) == \
        sorted(a["alert_id"] for a in _jsonl(out / "alerts.jsonl"))


def test_analyst_rule_change_takes_effect(replay, tmp_path):
    out, _ = replay
    config = replay_config(overrides=["rules.rate.engine.rise=4.9", "rules.threshold.engine=135"])
    run(out.parent / "input.jsonl", tmp_path / "rules", config)
    alerts = {(a["vehicle_id"], a["rule"]) for a in _jsonl(tmp_path / "rules" / "alerts.jsonl")}
    assert ("under", "rate_of_change") in alerts        # a 5.0 rise now breaks a 4.9 limit
    assert ("hot", "threshold") not in alerts           # 131 is under the new 135 threshold

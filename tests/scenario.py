"""One hand-made scenario for the business SQL, shared by the replay tests (filesystem) and the
AWS integration test (Kinesis -> job -> Firehose, DynamoDB, Kinesis on moto): the same records
must give the same outputs through either set of connectors.

One vehicle per scenario; expectations are written out by hand or computed here from the
fixture with plain Python, never by the job's own code.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import pytest

from tests.fixtures import line, record, ts

GARBAGE = b"\xb5\xff\xfe garbage"      # invalid UTF-8: a dead letter, not a failed Python worker

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


def malformed() -> list[tuple[str, str]]:
    missing = record("bad", 3.0)
    del missing["temperatures"]["tires"]["rear_left"]
    return [
        ("not_json", "this is not json"),
        ("not_object", "[1, 2, 3]"),
        ("missing_field", line(missing)),
        ("wrong_type", line(record("bad", 3.0, speed="fast"))),
        # 90 s ahead of the valid records sent after it: had a rejected record moved the
        # watermark, they would all be late.
        ("out_of_range", line(record("bad", 90.0, gear=9))),
        ("bad_event_time", line(dict(record("bad", 3.0), event_time="2026-11-23 12:00:03"))),
    ]


# A device whose clock jumped five years ahead: well-formed, sent before every valid record. Had
# it moved the watermark, every record after it would be late.
FUTURE = dict(record("clock", 0.0), event_time="2031-11-23T12:00:00.000Z")


def fixture_lines() -> list[str]:
    """Send order: malformed first, then by event time, with the out-of-order, duplicate and
    late records placed where they test something."""
    timeline = sorted((t, v, f) for v, recs in VALID.items() for t, f in recs if v != "ooo")
    lines = [payload for _, payload in malformed()] + [line(FUTURE)]
    for t, v, f in timeline:
        lines.append(line(record(v, t, **f)))
        if v == "dup":
            lines.append(line(record(v, t, **f)))          # same vehicle_id and event_time
    # ooo: 20 s arrives, then 17 s (3 s behind the newest, within the 5 s bound).
    at = index_after(lines, 20.0)
    lines[at:at] = [line(record("ooo", 20.0)), line(record("ooo", 17.0))]
    # late: 5 s arrives after 100 s was seen: the watermark is at 95 s.
    lines.append(line(record("late", 5.0)))
    return lines


def index_after(lines: list[str], seconds: float) -> int:
    """Position after the last well-formed line with event_time <= seconds."""
    pos = 0
    for i, text in enumerate(lines):
        try:
            r = json.loads(text)
        except ValueError:
            continue
        if isinstance(r, dict) and r.get("event_time", "9") <= ts(seconds):
            pos = i + 1
    return pos


def alert_id(vehicle, rule, channel, seconds):
    return hashlib.md5(f"{vehicle}|{rule}|{channel}|{ts(seconds)}".encode()).hexdigest()


def expected_windows():
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



def assert_windows_match(rows: dict[tuple[str, str], dict]) -> None:
    """rows: (vehicle_id, window_start) -> the output's fields, per vehicle and for the fleet."""
    expected = expected_windows()
    assert set(rows) == set(expected)
    for key, want in expected.items():
        for field, value in want.items():
            # Averages: the job sums in arrival order, this test in event-time order.
            want_value = pytest.approx(value, rel=1e-12) if isinstance(value, float) else value
            assert rows[key][field] == want_value, (key, field)


def expected_alerts() -> list[tuple]:
    """(vehicle_id, rule, channel, value, threshold, baseline, event_time, alert_id), sorted."""
    return sorted([
        # 'under' rose exactly 5.0 in 30 s: not more than the allowed 5.0, so no alert.
        ("over", "rate_of_change", "engine", 105.1, 5.0, 100.0, ts(40.0),
         alert_id("over", "rate_of_change", "engine", 40.0)),
        # second ramp 30 s after the first: inside the 60 s cooldown, suppressed.
        ("cool30", "rate_of_change", "engine", 110.0, 5.0, 100.0, ts(10.0),
         alert_id("cool30", "rate_of_change", "engine", 10.0)),
        # ramps 90 s apart: two alerts.
        ("cool90", "rate_of_change", "engine", 110.0, 5.0, 100.0, ts(10.0),
         alert_id("cool90", "rate_of_change", "engine", 10.0)),
        ("cool90", "rate_of_change", "engine", 110.0, 5.0, 100.0, ts(100.0),
         alert_id("cool90", "rate_of_change", "engine", 100.0)),
        ("hot", "threshold", "engine", 131.0, 130.0, None, ts(30.0), alert_id("hot", "threshold", "engine", 30.0)),
    ])


EXPECTED_REASONS = sorted(["not_json", "not_json", "not_object", "missing_field", "wrong_type", "out_of_range",
                           "bad_event_time", "future_event_time", "duplicate", "late"])

# edge: 200.0 kept, 199.99 not; EXTRA2 = fuel_consumption * lap_time.
EXPECTED_FAST_LAPS = [
    ("edge", ts(1.0), 200.0, 12000, 5, 0.5, 2.5 * 81.3),
    ("win", ts(59.999), 210.0, 12000, 5, 0.5, 2.0 * 80.0),
]


def payloads() -> list[bytes]:
    """Every record of the scenario as sent, in send order."""
    return [GARBAGE] + [text.encode() for text in fixture_lines()]


def alert_rows(alerts: list[dict]) -> list[tuple]:
    return sorted((a["vehicle_id"], a["rule"], a["channel"], a["value"], a["threshold"], a["baseline"],
                   a["event_time"], a["alert_id"]) for a in alerts)


def fast_lap_rows(csv_rows) -> list[tuple]:
    return sorted((r[0], r[1], float(r[2]), int(r[3]), int(r[4]), float(r[5]), float(r[6])) for r in csv_rows)

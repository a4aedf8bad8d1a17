"""The business SQL on Flink's MiniCluster, through the replay (filesystem source and sinks),
on the hand-made scenario of tests/scenario.py (also sent through Kinesis by the integration test).
"""
from __future__ import annotations

import csv
import json

import pytest

from tests.fixtures import line, record, ts
from tests.scenario import (
    EXPECTED_FAST_LAPS,
    EXPECTED_REASONS,
    VALID,
    alert_id,
    alert_rows,
    assert_windows_match,
    expected_alerts,
    fast_lap_rows,
    payloads,
)
from tooling.file_io import FileIO
from tooling.replay import replay_config, run
from tooling.scoring import read_jsonl

pytestmark = pytest.mark.sql

@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    source = folder / "input.jsonl"
    # Binary garbage (invalid UTF-8) must become a dead letter, not a failed Python worker.
    source.write_bytes(b"".join(p + b"\n" for p in payloads()))
    summary = run(source, folder / "out", replay_config())
    return folder / "out", summary


def test_counts_reconcile(replay):
    out, summary = replay
    assert summary["records_read"] == 19 + 10
    assert summary["valid"] == 19
    assert summary["rejected"] == 10
    assert summary["reconciled"] is True


def test_each_dead_letter_reason_once(replay):
    out, _ = replay
    letters = read_jsonl(out / "dead_letters.jsonl")
    assert sorted(d["reason"] for d in letters) == EXPECTED_REASONS
    by_reason = {d["reason"]: d for d in letters}
    assert sorted(d["payload"] for d in letters if d["reason"] == "not_json") == [
        "this is not json", "\ufffd\ufffd\ufffd garbage"]
    assert by_reason["duplicate"]["vehicle_id"] == "dup"
    assert by_reason["duplicate"]["event_time"] == ts(12.0)
    assert by_reason["late"]["vehicle_id"] == "late"
    assert (by_reason["future_event_time"]["vehicle_id"], by_reason["future_event_time"]["event_time"]) == \
        ("clock", "2031-11-23T12:00:00.000Z")
    assert by_reason["missing_field"]["detail"] == "missing field temperatures.tires.rear_left"
    assert by_reason["out_of_range"]["detail"].startswith("gear=9")
    assert all(d["rejected_at"].endswith("Z") and json.loads(json.dumps(d["payload"])) for d in letters)


def test_fast_laps_keep_exactly_speed_at_or_above_200(replay):
    out, _ = replay
    rows = csv.reader((out / "fast_laps.csv").read_text().splitlines())
    assert fast_lap_rows(rows) == EXPECTED_FAST_LAPS


def test_window_aggregates_per_vehicle_and_fleet(replay):
    out, _ = replay
    rows = {(w.pop("vehicle_id"), w.pop("window_start")): w for w in read_jsonl(out / "window_aggregates.jsonl")}
    assert_windows_match(rows)
    # Boundaries: 59.999 and 60.000 fall in consecutive windows.
    assert rows[("win", ts(0.0))]["record_count"] == 1 and rows[("win", ts(60.0))]["record_count"] == 1
    assert rows[("__fleet__", ts(0.0))]["active_vehicles"] == 9
    assert rows[("__fleet__", ts(0.0))]["record_count"] == 16
    assert rows[("__fleet__", ts(60.0))]["record_count"] == 3


def test_latest_state_is_newest_by_event_time(replay):
    out, _ = replay
    state = {s["vehicle_id"]: s for s in read_jsonl(out / "latest_state.jsonl")}
    assert set(state) == set(VALID)
    assert state["ooo"]["last_event_time"] == ts(20.0)      # 17 s arrived later but is older
    assert state["cool90"]["last_event_time"] == ts(100.0)
    assert state["cool90"]["engine_temp"] == 110.0
    assert state["edge"]["extra2"] == 2.0 * 80.0


def test_alerts_threshold_rate_and_cooldown(replay):
    out, _ = replay
    alerts = read_jsonl(out / "alerts.jsonl")
    assert alert_rows(alerts) == expected_alerts()
    assert all(a["detected_at"].endswith("Z") for a in alerts)


def test_rerun_rewrites_identical_windows_and_alert_ids(replay, tmp_path):
    out, _ = replay
    summary = run(out.parent / "input.jsonl", tmp_path / "again", replay_config())
    assert summary["reconciled"]
    assert sorted(read_jsonl(tmp_path / "again" / "window_aggregates.jsonl"), key=json.dumps) == \
        sorted(read_jsonl(out / "window_aggregates.jsonl"), key=json.dumps)
    assert sorted(a["alert_id"] for a in read_jsonl(tmp_path / "again" / "alerts.jsonl")) == \
        sorted(a["alert_id"] for a in read_jsonl(out / "alerts.jsonl"))


def test_analyst_rule_change_takes_effect(replay, tmp_path):
    out, _ = replay
    config = replay_config(overrides=["rules.rate.engine.rise=4.9", "rules.threshold.engine=135"])
    run(out.parent / "input.jsonl", tmp_path / "rules", config)
    alerts = {(a["vehicle_id"], a["rule"]) for a in read_jsonl(tmp_path / "rules" / "alerts.jsonl")}
    assert ("under", "rate_of_change") in alerts        # a 5.0 rise now breaks a 4.9 limit
    assert ("hot", "threshold") not in alerts           # 131 is under the new 135 threshold


def test_rate_look_back_is_per_channel(replay, tmp_path):
    """A 20 s engine look-back: 'over' (100 at 10 s, 105.1 at 40 s) no longer compares against a
    reading 30 s old, while the 10 s ramps of cool30/cool90 still alert. Other channels keep 60 s."""
    out, _ = replay
    config = replay_config(overrides=["rules.rate.engine.window.s=20", "rules.rate.tire_front_left.window.s=5"])
    run(out.parent / "input.jsonl", tmp_path / "window", config)
    alerts = read_jsonl(tmp_path / "window" / "alerts.jsonl")
    assert alert_rows(alerts) == [a for a in expected_alerts() if a[0] != "over"]


def test_rate_rule_disabled_by_zero_rise(replay, tmp_path):
    out, _ = replay
    run(out.parent / "input.jsonl", tmp_path / "off", replay_config(overrides=["rules.rate.engine.rise=0"]))
    alerts = read_jsonl(tmp_path / "off" / "alerts.jsonl")
    assert alert_rows(alerts) == [a for a in expected_alerts() if a[1] != "rate_of_change"]


# Five-minute windows and a five-minute cooldown (durations of 100 s or more once failed to plan).
#   a: 0 s engine 135 (breach -> alert) | 120 s 100 | 200 s 140 (breach, 200 s after the last: quiet)
#      | 299.999 s speed 210 | 300 s speed 250 | 520 s 131 (breach, 320 s after the last -> alert)
#   b: 10 s speed 100 | 250 s speed 300
#   windows [0 s, 300 s): a 4 readings, b 2; [300 s, 600 s): a 2. Readings are > 60 s apart, so
#   no rate-of-change look-back ever holds two of them.
LONG = [("a", 0.0, dict(engine=135.0)), ("b", 10.0, dict(speed=100.0)), ("a", 120.0, {}),
        ("a", 200.0, dict(engine=140.0)), ("b", 250.0, dict(speed=300.0)), ("a", 299.999, dict(speed=210.0)),
        ("a", 300.0, dict(speed=250.0)), ("a", 520.0, dict(engine=131.0))]


# Readings minutes apart: a replay judges "ahead" against the records around each one (it has
# no arrival times), so the last one, 220 s after the one before, needs a skew above that.
SPARSE = "job.max-future-skew.s=600"


@pytest.fixture(scope="module")
def long_input(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "input.jsonl"
    path.write_text("".join(line(record(v, t, **f)) + "\n" for v, t, f in LONG))
    return path


def test_five_minute_window_and_cooldown(long_input, tmp_path):
    summary = run(long_input, tmp_path, replay_config(
        overrides=["job.window.size.s=300", "rules.alert.cooldown.s=300", "rules.rate.engine.window.s=600",
                   "job.watermark.out-of-orderness.ms=120000", SPARSE]))
    assert (summary["records_read"], summary["valid"], summary["rejected"]) == (8, 8, 0)
    windows = {(w["vehicle_id"], w["window_start"]): (w["window_end"], w["record_count"], w["active_vehicles"],
                                                      w["avg_speed"], w["max_speed"], w["max_engine_temp"])
               for w in read_jsonl(tmp_path / "window_aggregates.jsonl")}
    assert windows == {
        ("a", ts(0)): (ts(300), 4, 1, (150 + 150 + 150 + 210) / 4, 210.0, 140.0),
        ("b", ts(0)): (ts(300), 2, 1, (100 + 300) / 2, 300.0, 100.0),
        ("__fleet__", ts(0)): (ts(300), 6, 2, (150 * 3 + 210 + 100 + 300) / 6, 300.0, 140.0),
        ("a", ts(300)): (ts(600), 2, 1, (250 + 150) / 2, 250.0, 131.0),
        ("__fleet__", ts(300)): (ts(600), 2, 1, (250 + 150) / 2, 250.0, 131.0),
    }
    # Threshold breaches at 0, 200 and 520 s: 200 s is inside the cooldown after 0 s; 520 s is
    # 320 s after the breach at 200 s. A 600 s engine look-back holds several readings: at 200 s
    # the baseline is 100 (120 s), a rise of 40 > 5; at 520 s 131 - 100 = 31: two rate breaches
    # 320 s apart, both alerts.
    assert alert_rows(read_jsonl(tmp_path / "alerts.jsonl")) == sorted([
        ("a", "threshold", "engine", 135.0, 130.0, None, ts(0), alert_id("a", "threshold", "engine", 0)),
        ("a", "threshold", "engine", 131.0, 130.0, None, ts(520), alert_id("a", "threshold", "engine", 520)),
        ("a", "rate_of_change", "engine", 140.0, 5.0, 100.0, ts(200), alert_id("a", "rate_of_change", "engine", 200)),
        ("a", "rate_of_change", "engine", 131.0, 5.0, 100.0, ts(520), alert_id("a", "rate_of_change", "engine", 520)),
    ])
    assert sorted(fast_lap_rows(csv.reader((tmp_path / "fast_laps.csv").read_text().splitlines()))) == [
        ("a", ts(299.999), 210.0, 12000, 5, 0.5, 160.0), ("a", ts(300), 250.0, 12000, 5, 0.5, 160.0),
        ("b", ts(250), 300.0, 12000, 5, 0.5, 160.0)]


def test_default_cooldown_alerts_inside_five_minutes(long_input, tmp_path):
    """The same readings with the default 60 s cooldown and look-back: the breach at 200 s alerts."""
    run(long_input, tmp_path, replay_config(overrides=[SPARSE]))
    assert [(a["rule"], a["event_time"]) for a in sorted(read_jsonl(tmp_path / "alerts.jsonl"),
                                                          key=lambda a: a["event_time"])] == [
        ("threshold", ts(0)), ("threshold", ts(200)), ("threshold", ts(520))]


def test_replay_at_parallelism_4_gives_the_same_outputs(replay, tmp_path):
    """job.parallelism is honoured by the replay (the file is still one split, in order) and,
    like any value it accepts, changes nothing in the results."""
    out, summary = replay
    source = tmp_path / "input.jsonl"
    source.write_bytes(b"".join(p + b"\n" for p in payloads()))
    again = run(source, tmp_path / "out", replay_config(overrides=["job.parallelism=4"]))
    assert again["settings"] == {"job.parallelism": 4} and summary["settings"] == {}
    for key in ("records_read", "valid", "rejected", "rejected_by_reason", "outputs"):
        assert again[key] == summary[key], key
    assert alert_rows(read_jsonl(tmp_path / "out" / "alerts.jsonl")) == expected_alerts()
    assert sorted((out / "window_aggregates.jsonl").read_text().splitlines()) == \
        sorted((tmp_path / "out" / "window_aggregates.jsonl").read_text().splitlines())


def test_copies_are_numbered_per_event_time_however_they_interleave(tmp_path):
    # Third copies and copies of an older event time after a newer one: the dedupe keeps each
    # event time's count while it is ahead of the watermark.
    sent = [("d", 1.0), ("d", 2.0), ("d", 1.0), ("d", 1.0), ("d", 3.0), ("d", 2.0), ("e", 1.0)]
    source = tmp_path / "input.jsonl"
    source.write_text("".join(line(record(v, s)) + "\n" for v, s in sent), encoding="utf-8")
    summary = run(source, tmp_path / "out", replay_config())
    assert (summary["records_read"], summary["valid"], summary["rejected"]) == (7, 4, 3)
    letters = read_jsonl(tmp_path / "out" / "dead_letters.jsonl")
    assert sorted((d["reason"], d["event_time"], d["detail"]) for d in letters) == [
        ("duplicate", ts(1.0), "copy 2 of this vehicle_id and event_time"),
        ("duplicate", ts(1.0), "copy 3 of this vehicle_id and event_time"),
        ("duplicate", ts(2.0), "copy 2 of this vehicle_id and event_time")]


def test_the_parser_in_process_mode_gives_the_same_outputs(replay, tmp_path):
    """job.python.execution-mode PROCESS: the vectorized parser in a Python worker, not the JVM's
    thread; every output and count as in thread mode (the default, the module's replay)."""
    thread_out, thread_summary = replay
    source = tmp_path / "input.jsonl"
    source.write_bytes(b"".join(p + b"\n" for p in payloads()))
    summary = run(source, tmp_path / "out", replay_config(overrides=["job.python.execution-mode=PROCESS"]))
    counts = ("records_read", "valid", "rejected", "rejected_by_reason")
    assert {k: summary[k] for k in counts} == {k: thread_summary[k] for k in counts}

    def rows(folder, name):
        if name.endswith(".csv"):
            return sorted((folder / name).read_text().splitlines())
        # Processing-time stamps differ between any two runs.
        return sorted(json.dumps({k: v for k, v in r.items() if k not in ("detected_at", "rejected_at")},
                                 sort_keys=True) for r in read_jsonl(folder / name))

    for name in ("fast_laps.csv", "window_aggregates.jsonl", "latest_state.jsonl", "alerts.jsonl",
                 "dead_letters.jsonl"):
        assert rows(tmp_path / "out", name) == rows(thread_out, name), name


def test_a_capture_dealt_into_splits_is_read_as_shards(tmp_path):
    """splits=2 at parallelism 2 (what the throughput benchmark runs at parallelism 2): vehicle a's
    records to one split, b's to the other, each judged on its own like a shard. b's readings
    come 30 s behind a's in the file (shards read out of step): in one split they are late by the
    5 s out-of-orderness, in their own split they are on time."""
    source = tmp_path / "input.jsonl"
    readings = [record("a", s) for s in (0.0, 10.0, 20.0, 30.0)] + [record("b", s) for s in (1.0, 5.0, 10.0)]
    source.write_text("".join(line(r) + "\n" for r in readings))

    def verdicts(path):
        files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
        return [[ln.split(b"\t")[1].decode() for ln in f.read_bytes().splitlines()] for f in files]

    config = replay_config(overrides=["job.parallelism=2"])
    assert verdicts(FileIO(source, tmp_path / "x").prepare(config, tmp_path / "one")) == \
        [["-", "-", "-", "-", "L", "L", "L"]]
    assert verdicts(FileIO(source, tmp_path / "x", splits=2).prepare(config, tmp_path / "two")) == \
        [["-", "-", "-", "-"], ["-", "-", "-"]]

    two = run(source, tmp_path / "out", config, splits=2)
    assert (two["records_read"], two["valid"], two["rejected"]) == (7, 7, 0)
    windows = {(w["vehicle_id"], w["window_start"]): (w["record_count"], w["active_vehicles"])
               for w in read_jsonl(tmp_path / "out" / "window_aggregates.jsonl")}
    assert windows == {("a", ts(0.0)): (4, 1), ("b", ts(0.0)): (3, 1), ("__fleet__", ts(0.0)): (7, 2)}

    with pytest.raises(ValueError, match="2 splits need job.parallelism >= 2 \\(is 1\\)"):
        FileIO(source, tmp_path / "x", splits=2).source(replay_config())

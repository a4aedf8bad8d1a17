"""One view at a time: rows in, the view's SQL file, rows out (like a small dataflow test).

The analytics and output views are otherwise covered only through the whole pipeline; here a
stand-in `telemetry_valid` (a JSON file with a rowtime and a watermark) feeds exactly the files
under test, with hand-computed expectations.
"""
from __future__ import annotations

import json

import pytest

from jobs import sql_files
from tests.fixtures import T0, record, ts
from tooling.paths import HELPERS_JAR
from tooling.replay import replay_config

pytestmark = pytest.mark.sql

_NUMBERS = ("speed", "throttle", "brakes", "steering_angle", "engine_temp", "brake_temp_front_left",
            "brake_temp_front_right", "brake_temp_rear_left", "brake_temp_rear_right", "tire_temp_front_left",
            "tire_temp_front_right", "tire_temp_rear_left", "tire_temp_rear_right", "fuel_consumption", "lap_time",
            "extra2")


def _valid_row(vehicle: str, seconds: float, **fields) -> dict:
    """A row of telemetry_valid from the shared record fixture (flattened as staging does)."""
    r = record(vehicle, seconds, engine=fields.pop("engine", None))
    t = r["temperatures"]
    row = {"vehicle_id": vehicle, "event_time": r["event_time"], "ms": int(T0.timestamp() * 1000 + seconds * 1000),
           "speed": r["speed"], "rpm": r["rpm"], "gear": r["gear"], "throttle": r["throttle"], "brakes": r["brakes"],
           "steering_angle": r["steering_angle"], "engine_temp": t["engine"],
           **{f"brake_temp_{w}": t["brakes"][w] for w in t["brakes"]},
           **{f"tire_temp_{w}": t["tires"][w] for w in t["tires"]},
           "fuel_consumption": r["fuel_consumption"], "lap_time": r["lap_time"],
           "extra2": r["fuel_consumption"] * r["lap_time"]}
    row.update(fields)
    return row


def _run_view(tmp_path, rows: list[dict], files: tuple[str, ...], view: str, overrides=(),
              watermark: str = "event_ts") -> list[dict]:
    from pyflink.common import RowKind

    from jobs.telemetry_job import configure, create_table_env
    from udfs.flink import register

    config = replay_config(overrides=list(overrides))
    source = tmp_path / "valid.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    t_env = create_table_env(parallelism=1, jars=(HELPERS_JAR,))
    configure(t_env, config)
    register(t_env, config.get("job", "python.execution-mode"))
    columns = ", ".join(f"`{c}` DOUBLE" for c in _NUMBERS)
    t_env.execute_sql(f"""CREATE TEMPORARY TABLE valid_src (
        vehicle_id STRING, event_time STRING, ms BIGINT, rpm INT, gear INT, {columns},
        event_ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR event_ts AS {watermark}
      ) WITH ('connector' = 'filesystem', 'path' = '{source}', 'format' = 'json')""")
    t_env.execute_sql("CREATE TEMPORARY VIEW telemetry_valid AS SELECT vehicle_id, event_time, event_ts, rpm, gear, "
                      + ", ".join(f"`{c}`" for c in _NUMBERS) + " FROM valid_src")
    for name, statement in sql_files.statements(config.placeholders()):
        if name in files:
            t_env.execute_sql(statement)
    # Without the rowtime column: PyFlink cannot hand a TIMESTAMP_LTZ to Python through collect().
    names = [n for n in t_env.from_path(view).get_schema().get_field_names() if n != "event_ts"]
    out: list[dict] = []
    with t_env.sql_query(f"SELECT {', '.join(f'`{n}`' for n in names)} FROM {view}").execute().collect() as results:
        for row in results:
            # An updating view (latest_state) arrives as a changelog: keep what it ends with.
            if row.get_row_kind() in (RowKind.UPDATE_BEFORE, RowKind.DELETE):
                out.remove(dict(zip(names, row)))
            else:
                out.append(dict(zip(names, row)))
    return out


def test_rate_baselines_take_the_lowest_value_in_each_channels_look_back(tmp_path):
    # In event-time order, as staging emits them (a row behind the watermark is dead-lettered there).
    rows = [_valid_row("v", 0.0, engine=100.0), _valid_row("w", 5.0, engine=90.0),
            _valid_row("v", 10.0, engine=104.0), _valid_row("v", 30.0, engine=106.5),
            _valid_row("v", 70.0, engine=108.0)]
    out = _run_view(tmp_path, rows, ("20_analytics_rate_baselines.sql",), "rate_baselines",
                    overrides=["rules.rate.engine.window.s=60"])
    engine = sorted((r["vehicle_id"], r["event_time"], r["value"], r["baseline"], r["allowed_rise"])
                    for r in out if r["channel"] == "engine")
    assert engine == [("v", ts(0.0), 100.0, 100.0, 5.0), ("v", ts(10.0), 104.0, 100.0, 5.0),
                      ("v", ts(30.0), 106.5, 100.0, 5.0),
                      ("v", ts(70.0), 108.0, 104.0, 5.0),      # 0 s left the 60 s look-back; w is apart
                      ("w", ts(5.0), 90.0, 90.0, 5.0)]
    # every temperature channel has its branch; a disabled rule's branch is gone
    wheels = ("front_left", "front_right", "rear_left", "rear_right")
    assert {r["channel"] for r in out} == {"engine", *(f"{g}_{w}" for g in ("brake", "tire") for w in wheels)}
    off = _run_view(tmp_path, rows, ("20_analytics_rate_baselines.sql",), "rate_baselines",
                    overrides=["rules.rate.engine.rise=0"])
    assert "engine" not in {r["channel"] for r in off}


def test_rate_baselines_take_readings_of_one_event_time_together(tmp_path):
    # The job's dedupe lets one reading per vehicle and event time through; the function itself
    # still keeps a second one (it looks up what waits at an event time unless it is the newest).
    rows = [_valid_row("v", 0.0, engine=100.0), _valid_row("v", 10.0, engine=104.0),
            _valid_row("v", 10.0, engine=95.0), _valid_row("v", 30.0, engine=106.5)]
    # A second behind: the watermark at a reading's own event time would make its twin late.
    out = _run_view(tmp_path, rows, ("20_analytics_rate_baselines.sql",), "rate_baselines",
                    overrides=["rules.rate.engine.window.s=60"], watermark="event_ts - INTERVAL '1' SECOND")
    engine = sorted((r["event_time"], r["value"], r["baseline"]) for r in out if r["channel"] == "engine")
    assert engine == [(ts(0.0), 100.0, 100.0), (ts(10.0), 95.0, 95.0), (ts(10.0), 104.0, 95.0),
                      (ts(30.0), 106.5, 95.0)]


def test_rule_breaches_are_threshold_and_rate_rows(tmp_path):
    rows = [_valid_row("v", 0.0, engine=100.0), _valid_row("v", 10.0, engine=104.0),
            _valid_row("v", 30.0, engine=106.5), _valid_row("v", 40.0, engine=131.0, speed=341.0),
            _valid_row("v", 50.0, rpm=17501)]
    out = _run_view(tmp_path, rows, ("20_analytics_rate_baselines.sql", "21_analytics_rule_breaches.sql"),
                    "rule_breaches")
    got = sorted((r["rule"], r["channel"], r["event_time"], r["value"], r["threshold"], r["baseline"]) for r in out)
    assert got == sorted([
        ("rate_of_change", "engine", ts(30.0), 106.5, 5.0, 100.0),     # rose 6.5 > 5 within 60 s
        ("rate_of_change", "engine", ts(40.0), 131.0, 5.0, 100.0),
        ("threshold", "engine", ts(40.0), 131.0, 130.0, None),         # 131 > 130
        ("threshold", "speed", ts(40.0), 341.0, 340.0, None),
        ("threshold", "rpm", ts(50.0), 17501.0, 17500.0, None),
    ])


def test_fast_laps_are_csv_lines_at_or_above_the_minimum_speed(tmp_path):
    rows = [_valid_row("v", 0.0, speed=200.0), _valid_row("v", 1.0, speed=199.99),
            _valid_row("w", 2.0, speed=312.5, rpm=15000, gear=7, throttle=1.0)]
    out = _run_view(tmp_path, rows, ("30_output_fast_laps.sql",), "fast_laps")
    assert sorted(r["line"] for r in out) == [f"v,{ts(0.0)},200.0,12000,5,0.5,160.0",
                                               f"w,{ts(2.0)},312.5,15000,7,1.0,160.0"]
    raised = _run_view(tmp_path, rows, ("30_output_fast_laps.sql",), "fast_laps",
                       overrides=["rules.fast-lap.min-speed=300"])
    assert [r["line"] for r in raised] == [f"w,{ts(2.0)},312.5,15000,7,1.0,160.0"]


def test_window_aggregates_per_vehicle_and_fleet(tmp_path):
    rows = [_valid_row("v", 0.0, speed=150.0, rpm=11000), _valid_row("w", 10.0, speed=210.0, engine=120.0),
            _valid_row("v", 30.0, speed=250.0, rpm=13000, fuel_consumption=3.0, extra2=240.0),
            _valid_row("v", 70.0, speed=100.0)]
    out = _run_view(tmp_path, rows, ("31_output_window_aggregates.sql",), "window_aggregates")
    got = {(r["vehicle_id"], r["window_start"], r["window_end"]):
           (r["record_count"], r["active_vehicles"], r["avg_speed"], r["max_speed"], r["max_rpm"],
            r["max_engine_temp"], r["max_brake_temp"], r["max_tire_temp"], r["avg_extra2"]) for r in out}
    first, second = (ts(0.0), ts(60.0)), (ts(60.0), ts(120.0))
    assert got == {
        ("v", *first): (2, 1, 200.0, 250.0, 13000, 100.0, 310.0, 92.0, (160.0 + 240.0) / 2),
        ("w", *first): (1, 1, 210.0, 210.0, 12000, 120.0, 310.0, 92.0, 160.0),
        ("__fleet__", *first): (3, 2, (150.0 + 210.0 + 250.0) / 3, 250.0, 13000, 120.0, 310.0, 92.0,
                                (160.0 + 160.0 + 240.0) / 3),
        ("v", *second): (1, 1, 100.0, 100.0, 12000, 100.0, 310.0, 92.0, 160.0),
        ("__fleet__", *second): (1, 1, 100.0, 100.0, 12000, 100.0, 310.0, 92.0, 160.0),
    }


def test_latest_state_is_the_newest_reading_per_vehicle_even_out_of_order(tmp_path):
    rows = [_valid_row("w", 5.0, speed=90.0), _valid_row("v", 0.0, speed=150.0), _valid_row("v", 30.0, speed=250.0),
            _valid_row("v", 20.0, speed=100.0)]         # older, arrives later: does not replace it
    out = _run_view(tmp_path, rows, ("32_output_latest_state.sql",), "latest_state")
    # Upserts by vehicle_id, in the order written: what the table ends with.
    final = {r["vehicle_id"]: (r["last_event_time"], r["speed"]) for r in out}
    assert final == {"v": (ts(30.0), 250.0), "w": (ts(5.0), 90.0)}


@pytest.mark.parametrize("interval_s, written", [(10, [7.0, 15.0]), (1, [0.0, 3.5, 7.0, 12.0, 15.0]),
                                                 (3600, [15.0])])
def test_latest_state_writes_a_vehicle_once_per_interval(tmp_path, interval_s, written):
    rows = [_valid_row("v", t) for t in (0.0, 3.0, 3.5, 7.0, 12.0, 15.0)]
    out = _run_view(tmp_path, rows, ("32_output_latest_state.sql",), "latest_state",
                    overrides=[f"job.latest-state.interval.s={interval_s}"])
    assert [r["last_event_time"] for r in out] == [ts(t) for t in written]


def test_alerts_keep_the_first_breach_of_each_storm(tmp_path):
    import hashlib

    # An engine ramp: over 130 at 40, 45 and 100 s (each within 60 s of the previous breach: one
    # storm, one alert); quiet until 200 s, then a new breach after the cooldown: a second alert.
    rows = [_valid_row("v", 0.0, engine=100.0), _valid_row("v", 40.0, engine=131.0),
            _valid_row("v", 45.0, engine=132.0), _valid_row("v", 100.0, engine=133.0),
            _valid_row("v", 200.0, engine=134.0)]
    files = ("20_analytics_rate_baselines.sql", "21_analytics_rule_breaches.sql", "33_output_alerts.sql")
    out = _run_view(tmp_path, rows, files, "alerts", overrides=["rules.rate.engine.rise=0"])
    got = sorted((r["alert_id"], r["rule"], r["channel"], r["event_time"], r["value"], r["threshold"]) for r in out)

    def alert_id(seconds: float) -> str:
        return hashlib.md5(f"v|threshold|engine|{ts(seconds)}".encode()).hexdigest()

    assert got == sorted([(alert_id(40.0), "threshold", "engine", ts(40.0), 131.0, 130.0),
                          (alert_id(200.0), "threshold", "engine", ts(200.0), 134.0, 130.0)])
    # No cooldown: every breach is an alert.
    every = _run_view(tmp_path, rows, files, "alerts",
                      overrides=["rules.rate.engine.rise=0", "rules.alert.cooldown.s=0"])
    assert sorted(r["event_time"] for r in every) == [ts(40.0), ts(45.0), ts(100.0), ts(200.0)]

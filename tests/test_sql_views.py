"""One view at a time: rows in, the view's SQL file, rows out (like a small dataflow test).

The analytics views are otherwise covered only through the whole pipeline; here a stand-in
`telemetry_valid` (a JSON file with a rowtime and a watermark) feeds exactly the files under
test, with hand-computed expectations.
"""
from __future__ import annotations

import json

import pytest

from jobs import sql_files
from tests.fixtures import T0, record, ts
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


def _run_view(tmp_path, rows: list[dict], files: tuple[str, ...], view: str, overrides=()) -> list[dict]:
    from jobs.telemetry_job import configure, create_table_env

    config = replay_config(overrides=list(overrides))
    source = tmp_path / "valid.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    t_env = create_table_env(parallelism=1)
    configure(t_env, config)
    columns = ", ".join(f"`{c}` DOUBLE" for c in _NUMBERS)
    t_env.execute_sql(f"""CREATE TEMPORARY TABLE valid_src (
        vehicle_id STRING, event_time STRING, ms BIGINT, rpm INT, gear INT, {columns},
        event_ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR event_ts AS event_ts
      ) WITH ('connector' = 'filesystem', 'path' = '{source}', 'format' = 'json')""")
    t_env.execute_sql("CREATE TEMPORARY VIEW telemetry_valid AS SELECT vehicle_id, event_time, event_ts, rpm, gear, "
                      + ", ".join(f"`{c}`" for c in _NUMBERS) + " FROM valid_src")
    for name, statement in sql_files.statements(config.placeholders()):
        if name in files:
            t_env.execute_sql(statement)
    # Without the rowtime column: PyFlink cannot hand a TIMESTAMP_LTZ to Python through collect().
    names = [n for n in t_env.from_path(view).get_schema().get_field_names() if n != "event_ts"]
    with t_env.sql_query(f"SELECT {', '.join(f'`{n}`' for n in names)} FROM {view}").execute().collect() as results:
        return [dict(zip(names, row)) for row in results]


def test_rate_baselines_take_the_lowest_value_in_each_channels_look_back(tmp_path):
    rows = [_valid_row("v", 0.0, engine=100.0), _valid_row("v", 10.0, engine=104.0),
            _valid_row("v", 30.0, engine=106.5), _valid_row("v", 70.0, engine=108.0),
            _valid_row("w", 5.0, engine=90.0)]
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

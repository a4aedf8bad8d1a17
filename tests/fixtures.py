"""Hand-made telemetry for the SQL tests: fixed timestamps, one vehicle per scenario."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)

BASE = {
    "speed": 150.0, "rpm": 12000, "gear": 5, "throttle": 0.5, "brakes": 0.1, "steering_angle": 0.0,
    "suspension": {"ride_height": 35.0, "damper_settings": {
        "front_left": 7.0, "front_right": 7.0, "rear_left": 7.0, "rear_right": 7.0}},
    "temperatures": {
        "engine": 100.0,
        "brakes": {"front_left": 300.0, "front_right": 310.0, "rear_left": 290.0, "rear_right": 305.0},
        "tires": {"front_left": 90.0, "front_right": 91.0, "rear_left": 89.0, "rear_right": 92.0}},
    "pressures": {"engine": 4.2,
                  "brakes": {"front_left": 18, "front_right": 17, "rear_left": 16, "rear_right": 15},
                  "tires": {"front_left": 1.7, "front_right": 1.8, "rear_left": 1.9, "rear_right": 1.8}},
    "fuel_consumption": 2.0, "lap_time": 80.0,
}


def ts(seconds: float) -> str:
    t = T0 + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def record(vehicle: str, seconds: float, engine: float | None = None, **fields) -> dict:
    r = copy.deepcopy(BASE)
    r.update(vehicle_id=vehicle, event_time=ts(seconds), **fields)
    if engine is not None:
        r["temperatures"]["engine"] = engine
    return r


def line(r: dict) -> str:
    return json.dumps(r)

"""Simulator throughput: records/s generated and written to a JSON-lines file, on one core.

    python benchmarks/simulator_bench.py [--records N] [--repeat R]

The baseline, measured in the same run, is the least a generator could do: json.dumps of one
constant telemetry dict per record, written the same way. ratio > 1 means the simulator (with
physics, scenarios and faults) is faster than that.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from simulator import FleetConfig, generate, write_jsonl  # noqa: E402

EXAMPLE = {
    "vehicle_id": "veh-0001", "event_time": "2026-11-23T12:00:00.250Z", "speed": 190.47, "rpm": 15251, "gear": 2,
    "throttle": 0.94, "brakes": 0.43, "steering_angle": -0.45,
    "suspension": {"ride_height": 35.96, "damper_settings": {"front_left": 7.4, "front_right": 10.9, "rear_left": 4.3,
                                                             "rear_right": 4.8}},
    "temperatures": {"engine": 98.9,
                     "brakes": {"front_left": 243.9, "front_right": 232.1, "rear_left": 202.7, "rear_right": 217.1},
                     "tires": {"front_left": 93.3, "front_right": 92.6, "rear_left": 83.3, "rear_right": 110.3}},
    "pressures": {"engine": 4.2, "brakes": {"front_left": 18, "front_right": 17, "rear_left": 16, "rear_right": 15},
                  "tires": {"front_left": 1.7, "front_right": 1.8, "rear_left": 1.9, "rear_right": 1.8}},
    "fuel_consumption": 2.4, "lap_time": 75.6,
}


def baseline(n: int):
    for _ in range(n):
        yield "veh-0001", json.dumps(EXAMPLE).encode()


def best_rate(make_records, n: int, path: str, repeat: int) -> tuple[float, int]:
    best, written = 0.0, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        written = write_jsonl(make_records(), path)
        best = max(best, written / (time.perf_counter() - t0))
    return best, written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=300_000, help="fleet samples per run")
    p.add_argument("--vehicles", type=int, default=50)
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    args = p.parse_args()
    config = FleetConfig(vehicles=args.vehicles, records=args.records)  # default fault and scenario rates
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.jsonl")
        sim_rate, n = best_rate(lambda: generate(config), args.records, path, args.repeat)
        size = os.path.getsize(path)
        clean_rate, _ = best_rate(lambda: generate(config.clean()), args.records, path, args.repeat)
        base_rate, _ = best_rate(lambda: baseline(n), n, path, args.repeat)
    print(f"simulator (faults on) : {sim_rate:>10,.0f} records/s  ({n:,} records, {size / n:.0f} B/record)")
    print(f"simulator (--clean)   : {clean_rate:>10,.0f} records/s")
    print(f"baseline json.dumps   : {base_rate:>10,.0f} records/s  (constant dict)")
    print(f"ratio simulator/baseline: {sim_rate / base_rate:.2f}x")


if __name__ == "__main__":
    main()

"""Throughput of the job's SQL on the MiniCluster, via the replay, against baselines in the same run.

    .venv/bin/python -m benchmarks.replay_bench [--records 100000] [--vehicles 20] [--seed 1]

Prints records/s for:
  - the full job (replay: parse UDF, staging, fast laps, windows, latest state, alerts, dead
    letters; parallelism 1, wall clock including MiniCluster start);
  - baseline A, the same file through a projection-only Flink job (filesystem raw -> blackhole):
    the floor any Flink job pays here;
  - baseline B, a plain Python loop over the file: parse_record + EXTRA2 + speed filter, no Flink:
    the cost of the parser alone;
and the ratios between them. Figures only, no assertions: run it when touching the hot path.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from jobs.telemetry_job import create_table_env
from simulator import FleetConfig, generate, write_jsonl
from tooling.replay import replay_config, run
from udfs.telemetry import FIELDS, parse_record

SPEED = FIELDS.index("speed")


def flink_floor(path: Path) -> float:
    t_env = create_table_env(parallelism=1)
    t_env.execute_sql(f"CREATE TEMPORARY TABLE src (data BYTES) WITH ('connector'='filesystem', "
                      f"'path'='{path}', 'format'='raw')")
    t_env.execute_sql("CREATE TEMPORARY TABLE sink (n INT) WITH ('connector'='blackhole')")
    started = time.perf_counter()
    t_env.execute_sql("INSERT INTO sink SELECT CHAR_LENGTH(DECODE(data, 'UTF-8')) FROM src").wait()
    return time.perf_counter() - started


def python_loop(path: Path) -> float:
    started = time.perf_counter()
    kept = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            r = parse_record(line.rstrip("\n"))
            if r[0] is None:
                _extra2 = r[-2] * r[-1]
                kept += r[SPEED] >= 200
    return time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--vehicles", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "telemetry.jsonl"
        n = write_jsonl(generate(FleetConfig(vehicles=args.vehicles, records=args.records, seed=args.seed)), str(path))
        print(f"input: {n} records, {path.stat().st_size / n:.0f} bytes/record")

        started = time.perf_counter()
        summary = run(path, Path(tmp) / "out", replay_config())
        job_s = time.perf_counter() - started
        floor_s = flink_floor(path)
        loop_s = python_loop(path)

    print(f"full job (replay, p=1):        {n / job_s:10,.0f} records/s  ({job_s:.1f} s wall, incl. start)")
    print(f"baseline A, Flink projection:  {n / floor_s:10,.0f} records/s  ({floor_s:.1f} s)")
    print(f"baseline B, Python parse loop: {n / loop_s:10,.0f} records/s  ({loop_s:.1f} s)")
    print(f"ratio job / Flink floor:       {floor_s / job_s:.2f}")
    print(f"ratio job / Python loop:       {loop_s / job_s:.2f}")
    print(f"reconciled: {summary['reconciled']} (read {summary['records_read']} = valid {summary['valid']} "
          f"+ rejected {summary['rejected']})")


if __name__ == "__main__":
    main()

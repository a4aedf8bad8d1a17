"""End-to-end latency of the real job on moto: Kinesis -> job (MiniCluster, real connectors) ->
Firehose/S3 and DynamoDB, with baselines measured in the same run.

    .venv/bin/python -m benchmarks.e2e_latency_bench [--vehicles 10] [--hz 10] [--seconds 60] [--warmup 15]

A clean simulated fleet is sent at its own event-time pace (event_time follows the wall clock),
so the watermark advances as it would on a live stream. Prints:
  - fast laps: time from a record's PutRecords to its CSV line appearing in S3 (p50/p90/p99/max);
  - window aggregates: time from a window's end (wall clock) to its item appearing in DynamoDB;
  - baseline, moto Kinesis put -> get for the same records (what any consumer pays here);
  - the floors the job's semantics impose: for a fast lap, the Firehose packer's linger plus the
    sinks' flush timeout (a reading passes staging and the dedupe at once); for a window, the
    watermark's bounded out-of-orderness (it closes once the watermark passes its end) plus the flush timeout;
and the sustained input rate. The fleet first sends for --warmup seconds at the same rate: a fresh
JVM compiles the hot path then (the first 10 s had p99 ~3 s, later slices ~1.9 s), which is
start-up, reported on its own line; the percentiles are of the --seconds after it (steady state).
Needs build/lib/telemetry-connectors.jar (`make jars`). Figures only, no assertions. S3, DynamoDB
and the alert stream are polled every --poll seconds (S3: only the objects not read yet):
latencies are upper bounds within that resolution.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.throughput import TreeCpu
from jobs.config import parse
from jobs.outputs import BY_VIEW
from jobs.telemetry_job import Checkpoints
from simulator import FleetConfig, KinesisProducer, clean_records, format_event_time, parse_event_time
from tooling.local_aws import LocalResources, MotoServer, create_resources, read_bucket_lines, read_output, stream_arn
from tooling.local_run import local_properties, start_on_moto
from tooling.paths import CONNECTOR_JAR


def percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * len(v)))]  # noqa: E731
    return (f"p50 {pick(0.50):6.2f} s   p90 {pick(0.90):6.2f} s   p99 {pick(0.99):6.2f} s   "
            f"max {v[-1]:6.2f} s   (n={len(v)})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vehicles", type=int, default=10)
    p.add_argument("--hz", type=float, default=10.0, help="records per second per vehicle")
    p.add_argument("--seconds", type=float, default=60.0, help="wall-clock seconds of sending, measured")
    p.add_argument("--warmup", type=float, default=15.0,
                   help="seconds of sending before those, at the same rate, reported apart (JIT warm-up)")
    p.add_argument("--poll", type=float, default=0.25)
    p.add_argument("--parallelism", type=int, default=2)
    p.add_argument("--speed-threshold", type=float, default=300.0,
                   help="rules.threshold.speed for the run, low enough that a clean fleet raises alerts "
                        "(each vehicle at most once per cooldown)")
    args = p.parse_args(argv)
    if not CONNECTOR_JAR.is_file():
        print(f"{CONNECTOR_JAR} is missing (`make jars`): this benchmark needs the real connectors", file=sys.stderr)
        return 2

    rate = args.vehicles * args.hz
    with MotoServer() as moto:
        res = LocalResources()
        create_resources(moto, res)
        props = local_properties(moto, res, parallelism=args.parallelism)
        props.append({"PropertyGroupId": "rules", "PropertyMap": {"threshold.speed": str(args.speed_threshold)}})
        config = parse(props)
        # Managed Flink's default: a checkpoint every 60 s, RocksDB state.
        client = start_on_moto(config, Checkpoints(Path(tempfile.mkdtemp(prefix="checkpoints-")), interval_ms=60_000))
        try:
            time.sleep(8)       # job running and shards assigned before the clock starts
            start = datetime.now(timezone.utc) + timedelta(seconds=1)
            fleet = FleetConfig(vehicles=args.vehicles, hz=args.hz, duration=args.warmup + args.seconds,
                                start=format_event_time(int(start.timestamp() * 1000)), seed=5)
            records = clean_records(fleet)
            sent_at: dict[tuple[str, str], float] = {}
            fast_keys: set[tuple[str, str]] = set()

            def stamped():
                for key, data in records:
                    r = json.loads(data)
                    k = (r["vehicle_id"], r["event_time"])
                    sent_at[k] = time.time()
                    if r["speed"] >= config.get("rules", "fast-lap.min-speed"):
                        fast_keys.add(k)
                    yield key, data

            seen_fast: dict[tuple[str, str], float] = {}
            seen_windows: dict[tuple[str, str], float] = {}
            seen_alerts: dict[tuple[str, str], float] = {}
            got_kinesis: list[tuple[float, float]] = []   # (sent at, latency)
            done = threading.Event()

            errors: list[BaseException] = []

            def reporting(poll):
                def run():
                    try:
                        poll()
                    except BaseException as e:  # reported below instead of dying silently in the thread
                        errors.append(e)
                return run

            def stream_reader(arn: str):
                """New records of every shard since the last call (one iterator per shard)."""
                kinesis = moto.client("kinesis")
                its = [kinesis.get_shard_iterator(StreamARN=arn, ShardId=sh["ShardId"],
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                       for sh in kinesis.list_shards(StreamARN=arn)["Shards"]]

                def read():
                    out = []
                    for i, it in enumerate(its):
                        resp = kinesis.get_records(ShardIterator=it, StreamARN=arn, Limit=1000)
                        out.extend(r["Data"] for r in resp["Records"])
                        its[i] = resp["NextShardIterator"]
                    return out
                return read

            alert_reader = stream_reader(res.target_value(BY_VIEW["alerts"], moto.region))

            fast_objects: set[str] = set()   # read once each: re-reading all made the poll slower as the run grew

            def poll_outputs():
                while not done.is_set():
                    now = time.time()
                    for line in read_bucket_lines(moto, *res.s3_location(BY_VIEW["fast_laps"]), skip=fast_objects)[1]:
                        f = line.split(",")
                        seen_fast.setdefault((f[0], f[1]), now)
                    for item in map(json.loads, read_output(moto, res, BY_VIEW["window_aggregates"])):
                        seen_windows.setdefault((item["vehicle_id"], item["window_end"]), now)
                    for data in alert_reader():
                        alert = json.loads(data)
                        seen_alerts.setdefault((alert["vehicle_id"], alert["event_time"]), now)
                    time.sleep(args.poll)

            def poll_kinesis():
                # Baseline: a plain polling consumer of the same stream.
                kinesis = moto.client("kinesis")
                arn = stream_arn(moto.region, res.telemetry_stream)
                its = [kinesis.get_shard_iterator(StreamARN=arn, ShardId=s["ShardId"], ShardIteratorType="LATEST")
                       ["ShardIterator"] for s in kinesis.list_shards(StreamARN=arn)["Shards"]]
                while not done.is_set():
                    for i, it in enumerate(its):
                        resp = kinesis.get_records(ShardIterator=it, StreamARN=arn, Limit=1000)
                        now = time.time()
                        for rec in resp["Records"]:
                            r = json.loads(rec["Data"])
                            t = sent_at.get((r["vehicle_id"], r["event_time"]))
                            if t is not None:
                                got_kinesis.append((t, now - t))
                        its[i] = resp["NextShardIterator"]
                    time.sleep(args.poll)

            pollers = [threading.Thread(target=reporting(poll_outputs), daemon=True),
                       threading.Thread(target=reporting(poll_kinesis), daemon=True)]
            for t in pollers:
                t.start()
            # The job's JVM CPU over the steady state: what a record costs on the Kinesis path (the
            # throughput benchmark replays files, without the Kinesis source and sinks).
            cpu = TreeCpu(os.getpid())
            jvm_cpu: list[tuple[float, float]] = []

            def sample_jvm_cpu():
                cpu.sample()
                jvm_cpu.append((time.time(), cpu.by_kind().get("jvm", 0.0)))

            t0 = time.time()
            steady_timer = threading.Timer(args.warmup, sample_jvm_cpu)
            steady_timer.start()
            arn = stream_arn(moto.region, res.telemetry_stream)
            summary = KinesisProducer(moto.client("kinesis"), stream_arn=arn) \
                .send(stamped(), rate=rate)
            elapsed = time.time() - t0
            steady_timer.join()
            sample_jvm_cpu()
            # The newest records stay behind the watermark once sending stops (idle shards do not
            # advance it), so wait only until the outputs stop growing.
            last, quiet_since = -1, time.time()
            while time.time() - quiet_since < 15 and not errors:
                n = len(seen_fast) + len(seen_windows) + len(seen_alerts)
                if n != last:
                    last, quiet_since = n, time.time()
                time.sleep(1)
            done.set()
            for t in pollers:
                t.join(timeout=10)
        finally:
            client.cancel().result()

    if errors:
        raise errors[0]
    # Steady state: what was sent (for a window: what ended) after the warm-up.
    measured_from = t0 + args.warmup
    steady_keys = {k for k in fast_keys if sent_at[k] >= measured_from}
    warm_fast = [seen_fast[k] - sent_at[k] for k in fast_keys - steady_keys if k in seen_fast]
    fast_lat = [seen_fast[k] - sent_at[k] for k in steady_keys if k in seen_fast]
    alert_lat = [seen - sent_at[k] for k, seen in seen_alerts.items() if sent_at.get(k, 0) >= measured_from]
    window_lat = [seen - parse_event_time(end) / 1000 for (_vehicle, end), seen in seen_windows.items()
                  if parse_event_time(end) / 1000 >= measured_from]
    kinesis_lat = [lat for sent, lat in got_kinesis if sent >= measured_from]
    flush = config.get("sinks", "flush.timeout.ms") / 1000
    # A fast-lap line first waits in the packer (up to sinks.firehose.linger.ms) for others to share
    # its Firehose record, then in the sink's buffer (up to the flush timeout).
    fast_floor = config.get("sinks", "firehose.linger.ms") / 1000 + flush
    window_floor = config.get("job", "watermark.out-of-orderness.ms") / 1000 + flush
    print(f"input: {summary.sent} records in {elapsed:.1f} s = {summary.sent / elapsed:,.0f} records/s "
          f"(target {rate:,.0f}), {args.vehicles} vehicles, 2 shards, parallelism {args.parallelism}")
    print(f"warm-up (first {args.warmup:g} s of sending, a fresh JVM), fast laps: {percentiles(warm_fast)}   "
          f"({len(warm_fast)}/{len(fast_keys) - len(steady_keys)} arrived)")
    print(f"steady state, the {args.seconds:g} s after it:")
    print(f"fast laps, put -> CSV line in S3:          {percentiles(fast_lat)}   "
          f"({len(fast_lat)}/{len(steady_keys)} arrived)")
    if alert_lat:
        print(f"alerts, put -> record on the alert stream: {percentiles(alert_lat)}   "
              f"(speed > {args.speed_threshold:g}, one per vehicle per cooldown)")
    print(f"window aggregates, window end -> DynamoDB: {percentiles(window_lat)}   "
          f"({len(window_lat)} window items)")
    print(f"baseline, moto Kinesis put -> get:         {percentiles(kinesis_lat)}")
    if len(jvm_cpu) == 2:
        (t1, c1), (t2, c2) = jvm_cpu
        steady_records = sum(1 for t in sent_at.values() if t >= measured_from)
        print(f"job JVM CPU in the steady state: {c2 - c1:.1f} s in {t2 - t1:.1f} s ({(c2 - c1) / (t2 - t1):.2f} "
              f"cores), {(c2 - c1) / max(steady_records, 1) * 1e6:.0f} CPU-s per million records "
              f"({steady_records} records, the Kinesis source and the AWS sinks included)")
    print(f"floors from the job's semantics: fast lap = packer linger + flush timeout = {fast_floor:.2f} s "
          f"(+ the Kinesis "
          f"baseline); window and alert (storm suppression orders breaches by event time) = out-of-orderness "
          f"+ flush timeout = {window_floor:.2f} s")
    if fast_lat:
        # Where the tail sits in the run, warm-up included.
        slices: dict[int, list[float]] = {}
        for k in fast_keys:
            if k in seen_fast:
                slices.setdefault(int((sent_at[k] - t0) // 10), []).append(seen_fast[k] - sent_at[k])
        print("fast laps by 10 s of sending, p99: " + ", ".join(
            f"{i * 10}-{i * 10 + 10} s {sorted(v)[min(len(v) - 1, int(len(v) * .99))]:.2f}"
            for i, v in sorted(slices.items())))
    if fast_lat and kinesis_lat and window_lat:
        def pct(v, q):
            return sorted(v)[min(len(v) - 1, int(len(v) * q))]
        print(f"above the floor: fast lap p50 {pct(fast_lat, .5) - fast_floor - pct(kinesis_lat, .5):.2f} s, "
              f"p99 {pct(fast_lat, .99) - fast_floor - pct(kinesis_lat, .99):.2f} s (floor + Kinesis at the same "
              f"percentile); window p50 {pct(window_lat, .5) - window_floor:.2f} s, "
              f"p99 {pct(window_lat, .99) - window_floor:.2f} s")
        if alert_lat:
            print(f"above the floor: alert p50 {pct(alert_lat, .5) - window_floor - pct(kinesis_lat, .5):.2f} s, "
                  f"p99 {pct(alert_lat, .99) - window_floor - pct(kinesis_lat, .99):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a million readings cost on AWS, counted from what the job really sends.

    .venv/bin/python -m benchmarks.cost [--vehicles 1000] [--hz 1] [--duration 90] [--fleet-rate 10000]

A simulated fleet (with its malformed, late and duplicated readings, like `make run`) goes through
the real job and connectors on the local stack; an HTTP proxy between the job and moto
(tooling/aws_proxy.py) records every sink request and the billable size of every record in it.
The counts are scaled to one million readings and priced with benchmarks/prices.py:
  - Firehose: GB ingested, each record rounded up to 5 KB; S3 PUTs from Firehose's buffering
    (infra defaults: 64 MiB or 300 s per object, per delivery stream) and a month of storage;
  - DynamoDB: write request units, each item write rounded up to 1 KB;
  - Kinesis alert stream: PUT payload units (25 KB) and one shard's hours;
  - Managed Flink: KPUs for --fleet-rate readings/s at the records/s one core sustains (the replay
    of the same records, measured in this run, start-up included: a conservative figure), plus the
    one orchestration KPU per application and running storage;
  - the telemetry stream itself (every design pays it) apart.
Time-based charges (shards, KPUs, Firehose's interval-bound objects) depend on the rate: they are
computed for a fleet sending --fleet-rate readings/s around the clock (default: 10,000 vehicles
at 1 Hz). Figures only.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.prices import AS_OF, PRICES, REGION
from jobs.config import parse
from jobs.outputs import BY_VIEW, OUTPUTS
from jobs.telemetry_job import Checkpoints
from simulator import FleetConfig, KinesisProducer, generate, write_jsonl
from tooling.aws_proxy import DYNAMODB_WRITE, FIREHOSE_PUT, KINESIS_PUT, AwsProxy
from tooling.local_aws import LocalResources, MotoServer, create_resources, read_output, stream_arn
from tooling.local_run import end_markers, last_event_time, local_properties, start_on_moto
from tooling.paths import CONNECTOR_JAR
from udfs.telemetry import FLEET_ID

FIREHOSE_BUFFER_BYTES, FIREHOSE_BUFFER_S = 64 * 2**20, 300    # infra/variables.tf firehose_buffering
KB = 1024


def _run_job(records: list, parallelism: int, timeout_s: float) -> tuple[AwsProxy, LocalResources, dict]:
    with MotoServer() as moto, AwsProxy(moto.endpoint) as proxy:
        res = LocalResources()
        create_resources(moto, res)
        props = local_properties(moto, res, parallelism=parallelism, endpoint=proxy.endpoint)
        job = start_on_moto(parse(props), Checkpoints(Path(tempfile.mkdtemp(prefix="cost-checkpoints-"))))
        try:
            kinesis, arn = moto.client("kinesis"), stream_arn(moto.region, res.telemetry_stream)
            sent = [*records, *end_markers(kinesis, arn, last_event_time(records), 60)]
            KinesisProducer(kinesis, stream_arn=arn).send(sent)
            def accounted() -> int:
                windows = [json.loads(w) for w in read_output(moto, res, BY_VIEW["window_aggregates"])]
                valid = sum(w["record_count"] for w in windows if w["vehicle_id"] != FLEET_ID)
                return valid + len(read_output(moto, res, BY_VIEW["dead_letters"]))

            deadline = time.monotonic() + timeout_s
            while accounted() < len(sent) and time.monotonic() < deadline:
                time.sleep(2)
            time.sleep(12)           # past a checkpoint: every sink has flushed
            # Lines, not Firehose records: the job sends many lines to a record.
            return proxy, res, {"sent": len(sent), "accounted": accounted(),
                                "fast_laps": len(read_output(moto, res, BY_VIEW["fast_laps"]))}
        finally:
            job.cancel().result()


def _replay_rate(records: list) -> float:
    """Records/s of the job on one core (parallelism 1), the replay of the same records."""
    from tooling.replay import replay_config, run

    with tempfile.TemporaryDirectory() as tmp:
        capture = Path(tmp) / "capture.jsonl"
        write_jsonl(records, str(capture))
        summary = run(capture, Path(tmp) / "out", replay_config())
    return summary["records_read"] / summary["seconds"]


def seed_designs(fleet_rate: float, alerts_per_million: float, reading_bytes: float, fast_share: float,
                 kpus: int) -> dict[str, list[tuple[str, str, float, float]]]:
    """The three seed designs (../shared/seeds) per million readings, on paper, with the same
    prices and fleet; their ingest hop (API Gateway + Firehose, Kinesis, IoT Core) left out as
    ours is. Assumptions are in each row's unit text."""
    P, h = PRICES, 1e6 / (fleet_rate * 3600)
    rounded_5kb = math.ceil(reading_bytes / (5 * KB)) * 5 * KB / 1e9           # GB per record into Firehose
    lam = P["lambda.request"], P["lambda.gb_second"]
    batches = 1e6 / 100                                                           # event source batch of 100
    return {
        "000: API Gateway -> Firehose (+Lambda) -> S3; KDA SQL -> Firehose -> S3": [
            ("Lambda", "Firehose transform, one call per 3 MB buffer, 1 s at 128 MB",
             1e6 * reading_bytes / 3e6, 1e6 * reading_bytes / 3e6 * (lam[0] + 0.125 * lam[1])),
            ("KDA SQL", f"KPU-hours ({kpus - 1} KPU, the job's work, no orchestration KPU)", (kpus - 1) * h,
             (kpus - 1) * h * P["msf.kpu_hour"]),
            ("Firehose", "fast laps out of KDA, one 5 KB-rounded record per row (GB)", 1e6 * fast_share * rounded_5kb,
             1e6 * fast_share * rounded_5kb * P["firehose.gb_ingested"]),
            ("S3", "raw readings stored one month (GB)", 1e6 * reading_bytes / 1e9,
             1e6 * reading_bytes / 1e9 * P["s3.gb_month"]),
        ],
        "001: Kinesis -> Lambda -> DynamoDB per reading; alerts via Lambda -> SNS + CloudWatch": [
            ("Lambda", "consumer, batch of 100, 1 s at 128 MB per batch", batches,
             batches * (lam[0] + 0.125 * lam[1])),
            ("DynamoDB", "one PutItem per reading (< 1 KB): write request units", 1e6,
             1e6 * P["dynamodb.write_request_unit"]),
            ("DynamoDB", "every reading stored one month (GB)", 1e6 * reading_bytes / 1e9,
             1e6 * reading_bytes / 1e9 * P["dynamodb.gb_month"]),
            ("Lambda", "alert handler per alert (this fleet's alert rate), 0.1 s", alerts_per_million,
             alerts_per_million * (lam[0] + 0.1 * 0.125 * lam[1])),
            ("SNS", "one publish per alert", alerts_per_million, alerts_per_million * P["sns.publish"]),
            ("CloudWatch", "PutMetricData per alert", alerts_per_million,
             alerts_per_million * P["cloudwatch.put_metric_request"]),
        ],
        "002: IoT Core -> rule -> Kinesis -> Lambda -> Redis (live view only)": [
            ("IoT rules", "rule triggered + Kinesis action per reading", 1e6,
             1e6 * (P["iot.rule_triggered"] + P["iot.rule_action"])),
            ("Lambda", "consumer, batch of 100, 0.2 s at 128 MB", batches,
             batches * (lam[0] + 0.2 * 0.125 * lam[1])),
            ("ElastiCache", "one cache.t4g.small node (hours)", h, h * P["elasticache.node_hour"]),
        ],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Many vehicles at 1 Hz, like the 10,000-vehicle fleet priced: a sink batch then rarely holds
    # one vehicle twice (DynamoDB collapses those), and a window holds 60 readings per vehicle.
    p.add_argument("--vehicles", type=int, default=1000)
    p.add_argument("--hz", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=90.0, help="seconds of event time")
    p.add_argument("--fleet-rate", type=float, default=10_000.0,
                   help="readings/s of the fleet priced (time-based charges)")
    p.add_argument("--parallelism", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--timeout", type=float, default=600.0)
    args = p.parse_args(argv)
    if not CONNECTOR_JAR.is_file():
        print(f"{CONNECTOR_JAR} is missing (`make jars`): the cost benchmark counts what the real connectors send",
              file=sys.stderr)
        return 2

    records = list(generate(FleetConfig(vehicles=args.vehicles, hz=args.hz, duration=args.duration, seed=args.seed)))
    proxy, res, run = _run_job(records, args.parallelism, args.timeout)
    rate_per_core = _replay_rate(records)
    per_million = 1e6 / len(records)
    hours = 1e6 / (args.fleet_rate * 3600)               # hours the fleet takes to send a million readings
    by_target = {res.target(o): o.view for o in OUTPUTS}

    rows: list[tuple[str, str, float, float]] = []       # (service, what, units per million, dollars)
    per_output = defaultdict(lambda: [0, 0, 0])          # view -> [requests, records, bytes]
    firehose_gb = s3_gb = wru = kinesis_units = 0.0
    s3_puts = 0.0
    for (operation, target), sizes in proxy.record_sizes.items():
        view = by_target.get(target, target)
        counts = per_output[view]
        counts[0] += proxy.requests[(operation, target)]
        counts[1] += len(sizes)
        counts[2] += sum(sizes)
        if operation in FIREHOSE_PUT:
            firehose_gb += sum(math.ceil(max(s, 1) / (5 * KB)) * 5 * KB for s in sizes) * per_million / 1e9
            delivered = sum(sizes) * per_million
            s3_gb += delivered / 1e9
            s3_puts += max(delivered / FIREHOSE_BUFFER_BYTES, hours * 3600 / FIREHOSE_BUFFER_S)
        elif operation in DYNAMODB_WRITE:
            wru += sum(math.ceil(max(s, 1) / KB) for s in sizes) * per_million
        elif operation in KINESIS_PUT:
            kinesis_units += sum(math.ceil(max(s, 1) / (25 * KB)) for s in sizes) * per_million

    kpus = max(1, math.ceil(args.fleet_rate / rate_per_core)) + 1     # + the orchestration KPU
    rows += [
        ("Firehose", "GB ingested (5 KB per record)", firehose_gb, firehose_gb * PRICES["firehose.gb_ingested"]),
        ("S3", "PUT requests (Firehose objects)", s3_puts, s3_puts * PRICES["s3.put_request"]),
        ("S3", "GB stored one month", s3_gb, s3_gb * PRICES["s3.gb_month"]),
        ("DynamoDB", "write request units (1 KB)", wru, wru * PRICES["dynamodb.write_request_unit"]),
        ("Kinesis alerts", "PUT payload units (25 KB)", kinesis_units,
         kinesis_units * PRICES["kinesis.put_payload_unit"]),
        ("Kinesis alerts", "shard-hours (1 shard)", hours, hours * PRICES["kinesis.shard_hour"]),
        ("Managed Flink", f"KPU-hours ({kpus} KPU incl. orchestration)", kpus * hours,
         kpus * hours * (PRICES["msf.kpu_hour"] + 50 * PRICES["msf.running_storage_gb_month"] / 730)),
    ]
    ingest_shards = math.ceil(args.fleet_rate / 1000)
    ingest_units = sum(math.ceil((len(d) + len(k)) / (25 * KB)) for k, d in records) * per_million
    ingest = ingest_shards * hours * PRICES["kinesis.shard_hour"] + ingest_units * PRICES["kinesis.put_payload_unit"]

    print(f"cost per million readings, {REGION} on-demand prices of {AS_OF} (benchmarks/prices.py)")
    print(f"measured: {len(records)} readings through the job on the local stack ({run['accounted']} of "
          f"{run['sent']} records with the end markers accounted for); "
          f"one core sustains {rate_per_core:,.0f} readings/s (replay, start-up included); "
          f"time-based charges for a fleet of {args.fleet_rate:,.0f} readings/s ({hours:.3f} h per million)")
    print("\nwhat the sinks sent (per million readings):")
    for view, (requests, count, size) in sorted(per_output.items()):
        print(f"  {view:<18} {requests * per_million:>12,.0f} requests {count * per_million:>12,.0f} records "
              f"{size * per_million / 1e6:>10,.1f} MB  ({size / max(count, 1):,.0f} bytes per record)")
    print(f"\n{'service':<16} {'unit':<42} {'units':>14} {'$':>10}")
    for service, unit, units, dollars in rows:
        print(f"{service:<16} {unit:<42} {units:>14,.2f} {dollars:>10.4f}")
    total = sum(r[3] for r in rows)
    print(f"{'total':<16} {'(without the telemetry stream)':<42} {'':>14} {total:>10.4f}")
    print(f"{'telemetry stream':<16} {f'{ingest_shards} shard(s) + PUT units (every design pays)':<42} "
          f"{'':>14} {ingest:>10.4f}")

    alerts = len(proxy.record_sizes.get(("Kinesis_20131202.PutRecords", res.target(BY_VIEW["alerts"])), [])) \
        * per_million
    reading_bytes = sum(len(d) for _, d in records) / len(records)
    fast = run["fast_laps"]
    print(f"\nthe seed designs on paper, same prices and fleet ({alerts:,.0f} alerts and {fast * per_million:,.0f} "
          f"fast laps per million, {reading_bytes:,.0f} bytes per reading, as measured above):")
    totals = {}
    for design, design_rows in seed_designs(args.fleet_rate, alerts, reading_bytes, fast / len(records), kpus).items():
        print(f"  {design}")
        for service, unit, units, dollars in design_rows:
            print(f"    {service:<12} {unit:<70} {units:>12,.1f} {dollars:>9.4f}")
        totals[design] = sum(r[3] for r in design_rows)
        print(f"    {'total':<12} {'':<70} {'':>12} {totals[design]:>9.4f}")
    seed001 = next(v for k, v in totals.items() if k.startswith("001"))
    print(f"\nthis job: ${total:.4f} per million readings = {total / seed001:.2f}x seed 001's ${seed001:.4f} "
          f"(goal: at most 0.10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

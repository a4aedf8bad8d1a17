"""What a million readings cost on AWS, counted from what the job really sends.

    .venv/bin/python -m benchmarks.cost [--vehicles 50] [--hz 2] [--duration 300] [--fleet-rate 1000]

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
computed for a fleet sending --fleet-rate readings/s around the clock. Figures only.
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
        props = local_properties(moto, res, parallelism=parallelism)
        for group in props:
            if group["PropertyGroupId"] == "aws":
                group["PropertyMap"]["endpoint"] = proxy.endpoint
        job = start_on_moto(parse(props), Checkpoints(Path(tempfile.mkdtemp(prefix="cost-checkpoints-"))))
        try:
            kinesis, arn = moto.client("kinesis"), stream_arn(moto.region, res.telemetry_stream)
            sent = [*records, *end_markers(kinesis, arn, last_event_time(records), 60)]
            KinesisProducer(kinesis, stream_arn=arn).send(sent)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                windows = [json.loads(w) for w in read_output(moto, res, BY_VIEW["window_aggregates"])]
                valid = sum(w["record_count"] for w in windows if w["vehicle_id"] != FLEET_ID)
                if valid + len(read_output(moto, res, BY_VIEW["dead_letters"])) >= len(sent):
                    break
                time.sleep(2)
            time.sleep(12)           # past a checkpoint: every sink has flushed
            return proxy, res, {"sent": len(sent), "valid": valid}
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vehicles", type=int, default=50)
    p.add_argument("--hz", type=float, default=2.0)
    p.add_argument("--duration", type=float, default=300.0, help="seconds of event time")
    p.add_argument("--fleet-rate", type=float, default=1000.0,
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
    print(f"measured: {len(records)} readings ({run['valid']} valid) through the job on the local stack; "
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
    return 0


if __name__ == "__main__":
    sys.exit(main())

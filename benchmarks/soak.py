"""Soak: a long run at a steady rate through the local stack; does anything grow that should not?

    .venv/bin/python -m benchmarks.soak [--minutes 10] [--rate 1000] [--vehicles 100] [--every 30]

A clean simulated fleet is sent to Kinesis (moto) at --rate records/s, event time following the
wall clock, while the real job runs on the MiniCluster with RocksDB and a checkpoint every 10 s
(jobs.telemetry_job.Checkpoints). Every --every seconds it prints: records sent and read by the job,
the input lag (sent - read), the last completed checkpoint's state size and duration, the task
manager's JVM heap, the JVM's resident memory (in thread mode, the default, the parser's Python
interpreter lives in it) and that of the Python UDF worker processes (process mode).
A healthy job shows a lag that does not grow, and state and memory that level off once every
vehicle has been seen and the first windows and look-backs are full (TTL and timers clear the
rest). Figures only, no assertions. The stand-in limits the rate it can take: moto's PutRecord
copies a shard's sequence numbers into a list to find the last one, so each write costs as much
as the records already in the shard, and the sender slows down as the run goes on (it prints the
rate it managed); the job's lag is measured against what was sent.
"""
from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from jobs.config import parse
from jobs.telemetry_job import Checkpoints
from simulator import FleetConfig, KinesisProducer, clean_records, format_event_time
from tooling.job_metrics import counters, rest_get
from tooling.local_aws import LocalResources, MotoServer, create_resources, stream_arn
from tooling.local_run import descendant_pids, local_properties, python_worker_pids, start_on_moto
from tooling.paths import CONNECTOR_JAR


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:")), 0)
    return total / 1024


# The gateway JVM this process started: the MiniCluster, with the parser's interpreter in thread mode.
GATEWAY_JVM = b"org.apache.flink.client.python.PythonGatewayServer"


def _heap_mb(rest: str) -> float:
    total = 0.0
    for tm in rest_get(f"{rest}/taskmanagers")["taskmanagers"]:
        got = rest_get(f"{rest}/taskmanagers/{tm['id']}/metrics?get=Status.JVM.Memory.Heap.Used")
        total += float(got[0]["value"]) if got else 0.0
    return total / 2**20


def _terminate_like_ctrl_c(signum, frame):
    # The job is then cancelled and moto stopped on the way out, as on Ctrl-C.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--rate", type=float, default=1000.0, help="records per second")
    p.add_argument("--vehicles", type=int, default=100)
    p.add_argument("--every", type=float, default=30.0, help="seconds between reports")
    p.add_argument("--parallelism", type=int, default=2)
    p.add_argument("--python-execution-mode", choices=("THREAD", "PROCESS"), default="THREAD",
                   help="job.python.execution-mode: the parser inside the JVM (the job's default) or in "
                        "worker processes (their memory is the last column)")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate_like_ctrl_c)
    if not CONNECTOR_JAR.is_file():
        print(f"{CONNECTOR_JAR} is missing (`make jars`): the soak needs the real connectors", file=sys.stderr)
        return 2

    with MotoServer() as moto:
        res = LocalResources()
        create_resources(moto, res)
        config = parse(local_properties(moto, res, parallelism=args.parallelism,
                                        job={"python.execution-mode": args.python_execution_mode}))
        # In process mode, UDF workers in their own processes, as on Managed Flink: in loopback mode
        # they would share this process (and its GIL) with moto and the producer.
        job = start_on_moto(config, Checkpoints(Path(tempfile.mkdtemp(prefix="soak-checkpoints-")), interval_ms=10_000),
                            python_workers="process")
        sent = [0]
        try:
            time.sleep(8)
            start = datetime.now(timezone.utc) + timedelta(seconds=1)
            fleet = FleetConfig(vehicles=args.vehicles, hz=args.rate / args.vehicles, duration=args.minutes * 60,
                                start=format_event_time(int(start.timestamp() * 1000)), seed=9)
            records = clean_records(fleet)

            stop = threading.Event()

            def counted():
                for r in records:
                    if stop.is_set():
                        return
                    sent[0] += 1
                    yield r

            producer = KinesisProducer(moto.client("kinesis"), stream_arn=stream_arn(moto.region, res.telemetry_stream))
            sender = threading.Thread(target=lambda: producer.send(counted(), rate=args.rate), daemon=True)
            began = time.monotonic()
            sender.start()
            job_id = str(job.client.get_job_id())
            print(f"soak: {len(records)} records at {args.rate:.0f}/s from {args.vehicles} vehicles, "
                  f"parallelism {args.parallelism}, RocksDB, checkpoint every 10 s", flush=True)
            print(f"{'t (s)':>6} {'sent':>8} {'read':>8} {'lag':>6} {'state MB':>9} {'ckpt ms':>8} "
                  f"{'heap MB':>8} {'JVM RSS MB':>10} {'UDF RSS MB':>10}", flush=True)
            while time.monotonic() - began < args.minutes * 60 + args.every / 2:
                time.sleep(args.every)
                read = counters(job.rest, job_id)["read"]
                latest = (job.checkpoints().get("latest") or {}).get("completed") or {}
                print(f"{time.monotonic() - began:6.0f} {sent[0]:8d} {read:8d} {sent[0] - read:6d} "
                      f"{latest.get('state_size', 0) / 2**20:9.1f} {latest.get('end_to_end_duration', 0):8d} "
                      f"{_heap_mb(job.rest):8.0f} {_rss_mb(descendant_pids(GATEWAY_JVM)):10.0f} "
                      f"{_rss_mb(python_worker_pids()):10.0f}",
                      flush=True)
            stop.set()
            if sent[0] < len(records):
                print(f"the sender managed {sent[0] / (time.monotonic() - began):.0f} records/s on average "
                      f"({sent[0]} of {len(records)})", flush=True)
        finally:
            import logging

            # The in-process UDF worker logs the bundle a cancel interrupts; the figures are above.
            logging.getLogger("apache_beam").setLevel(logging.CRITICAL)
            job.cancel().result()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: python -m simulator --help"""
from __future__ import annotations

import argparse
import sys
import time

from jobs.cli import Parser

from .fleet import DEFAULT_START, FleetConfig, generate
from .sinks import KinesisProducer, write_jsonl, write_manifest

_DEFAULTS = FleetConfig()


def parse_args(argv=None) -> argparse.Namespace:
    p = Parser(
        prog="python -m simulator",
        description="Simulate a racing fleet's telemetry, with injected faults and a ground-truth manifest, "
                    "to a JSON-lines file or a Kinesis stream.",
)
    fleet = p.add_argument_group("fleet")
    fleet.add_argument("--vehicles", type=int, default=_DEFAULTS.vehicles, help="fleet size")
    fleet.add_argument("--hz", type=float, default=_DEFAULTS.hz, help="records per second per vehicle (event time)")
    size = fleet.add_mutually_exclusive_group()
    size.add_argument("--duration", type=float, default=_DEFAULTS.duration, help="seconds of event time to simulate")
    size.add_argument("--records", type=int, help="simulate this many fleet samples instead of --duration "
                      "(faults add duplicates and malformed records on top)")
    fleet.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="same seed, same bytes")
    fleet.add_argument("--start", default=DEFAULT_START, help="event time of the first tick")
    faults = p.add_argument_group("faults (per-record probabilities) and scenarios (per vehicle per hour)")
    faults.add_argument("--clean", action="store_true", help="no faults and no scenarios: valid records only")
    faults.add_argument("--fault-rate", type=float, default=_DEFAULTS.malformed_rate, help="malformed records")
    faults.add_argument("--duplicate-rate", type=float, default=_DEFAULTS.duplicate_rate, help="exact resends")
    faults.add_argument("--out-of-order-rate", type=float, default=_DEFAULTS.out_of_order_rate,
                        help="records delayed by less than the watermark delay")
    faults.add_argument("--late-rate", type=float, default=_DEFAULTS.late_rate,
                        help="records delayed beyond the watermark delay")
    for name in ("ramp", "spike", "drift", "silence"):
        faults.add_argument(f"--{name}-rate", type=float, default=getattr(_DEFAULTS, f"{name}_rate"),
                            help=f"{name} scenarios per vehicle per hour")
    out = p.add_argument_group("output")
    out.add_argument("--out", metavar="FILE.jsonl", help="write payloads to this file")
    out.add_argument("--stream-name", help="send to this Kinesis stream")
    out.add_argument("--stream-arn", help="send to this Kinesis stream (by ARN)")
    out.add_argument("--endpoint-url", help="e.g. a local moto server")
    out.add_argument("--region", help="AWS region (default: from the environment)")
    out.add_argument("--manifest", metavar="FILE.jsonl", help="write the ground-truth manifest here")
    out.add_argument("--rate", type=float, help="records per second to send, 0 = as fast as possible "
                     "(default: 0 for files, real time (vehicles x hz) for Kinesis)")
    args = p.parse_args(argv)
    if args.vehicles < 1:
        p.error(f"--vehicles must be at least 1, got {args.vehicles}")
    if not 0 < args.hz <= 100:
        p.error(f"--hz must be in (0, 100], got {args.hz}")
    if args.records is None and args.duration <= 0:
        p.error(f"--duration must be more than 0 seconds, got {args.duration}")
    if args.records is not None and args.records < 1:
        p.error(f"--records must be at least 1, got {args.records}")
    if args.rate is not None and args.rate < 0:
        p.error(f"--rate must be 0 or more, got {args.rate}")
    if args.out == "-":
        p.error("--out needs a file name ('-' is not standard output here)")
    if (args.out is None) == (args.stream_name is None and args.stream_arn is None):
        p.error("give exactly one destination: --out, or --stream-name/--stream-arn")
    if args.stream_name and args.stream_arn:
        p.error("give --stream-name or --stream-arn, not both")
    return args


class Progress:
    """One stderr line per second while running, then the summary."""

    def __init__(self, total: int):
        self.total = total
        self.start = self.last = time.monotonic()

    def __call__(self, done, detail: str = "") -> None:
        now = time.monotonic()
        if now - self.last >= 1.0:
            self.last = now
            self._line(done, detail, now)

    def _line(self, done, detail, now) -> None:
        rate = done / max(now - self.start, 1e-9)
        print(f"[simulator] {done}/~{self.total} records  {rate:,.0f} rec/s  {detail}", file=sys.stderr, flush=True)

    def finish(self, done, detail: str = "") -> None:
        self._line(done, detail, time.monotonic())


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        config = FleetConfig(
            vehicles=args.vehicles, hz=args.hz, duration=args.duration, records=args.records, seed=args.seed,
            start=args.start, malformed_rate=args.fault_rate, duplicate_rate=args.duplicate_rate,
            out_of_order_rate=args.out_of_order_rate, late_rate=args.late_rate, ramp_rate=args.ramp_rate,
            spike_rate=args.spike_rate, drift_rate=args.drift_rate, silence_rate=args.silence_rate)
    except ValueError as e:     # fault rates outside [0, 1], a --start that is no event time
        print(f"python -m simulator: error: {e}", file=sys.stderr)
        return 2
    if args.clean:
        config = config.clean()
    sim = generate(config)
    progress = Progress(config.ticks * config.vehicles)
    if args.out:
        n = write_jsonl(sim, args.out, rate=args.rate or 0.0, progress=progress)
        progress.finish(n, f"-> {args.out}")
        ok = True
    else:
        import boto3  # only the Kinesis path needs it
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client = boto3.client("kinesis", endpoint_url=args.endpoint_url, region_name=args.region)
            if args.stream_arn:
                client.describe_stream_summary(StreamARN=args.stream_arn)
            else:
                client.describe_stream_summary(StreamName=args.stream_name)
        except (BotoCoreError, ClientError) as e:
            print(f"python -m simulator: error: stream {args.stream_arn or args.stream_name}: {e}", file=sys.stderr)
            return 2
        rate = config.vehicles * config.hz if args.rate is None else args.rate
        summary = KinesisProducer(client, args.stream_name, args.stream_arn).send(
            sim, rate=rate, progress=lambda s: progress(s.sent + s.failed, str(s)))
        progress.finish(summary.sent + summary.failed, str(summary))
        for key, code, message in summary.failures[:20]:
            print(f"[simulator] failed: key={key} {code}: {message}", file=sys.stderr)
        ok = summary.failed == 0
    if args.manifest:
        write_manifest(sim.manifest, args.manifest)
    counts = ", ".join(f"{k}={v}" for k, v in sorted(sim.counts.items()))
    print(f"[simulator] done: {counts}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("[simulator] interrupted", file=sys.stderr)
        sys.exit(130)

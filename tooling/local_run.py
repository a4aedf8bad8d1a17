"""The local end-to-end run (README command 1): moto + simulator + the job on MiniCluster.

    python -m tooling.local_run [--vehicles 5] [--duration 120] [--hz 2] [--rate 0] [--seed 7] [--clean]
    python -m tooling.local_run --live [--vehicles 5] [--port 8765] [--window 10]   # the fleet view, until Ctrl-C

1. starts a moto server on 127.0.0.1 and creates the streams, buckets, delivery streams, tables;
2. simulates a fleet (faults included unless --clean), keeps a capture file and its manifest;
3. with the connector jar: submits the job against moto, sends the records to Kinesis, waits
   until every record is accounted for, prints what landed in S3, DynamoDB and the alert
   stream, and cancels the job;
   without it (Maven could not fetch the connectors): sends the records to Kinesis anyway, says
   that the AWS leg cannot run, and replays the captured records through the same SQL into
   files, so the business logic is still shown end to end;
4. stops moto. Ctrl-C or an error stops everything too.
"""
from __future__ import annotations

import json
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from jobs.cli import Parser
from jobs.config import document, load
from jobs.outputs import BY_VIEW, OUTPUTS
from jobs.telemetry_job import Checkpoints
from tooling.local_aws import (
    ACCESS_KEY,
    SECRET_KEY,
    LocalResources,
    MotoServer,
    create_resources,
    read_output,
    stream_arn,
)
from tooling.paths import CONNECTOR_JAR, PROJECT_DIR
from tooling.scoring import health, health_line
from udfs.telemetry import FLEET_ID

OUT_DIR = PROJECT_DIR / "out" / "local"


def say(msg: str) -> None:
    print(f"[local-run {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def local_properties(moto: MotoServer, res: LocalResources, parallelism: int, idle_ms: int = 10000,
                     endpoint: str | None = None, job: dict | None = None) -> list[dict]:
    """The job's configuration for the local stand-in; `endpoint`: where the job reaches it, if
    not moto itself (a proxy in front of it); `job`: more keys of the job group."""
    region = moto.region
    return document({
        "aws": {"region": region, "endpoint": endpoint or moto.endpoint, "credentials.provider": "BASIC",
                "credentials.access-key-id": ACCESS_KEY, "credentials.secret-key": SECRET_KEY},
        "source.telemetry": {"stream.arn": stream_arn(region, res.telemetry_stream),
                             "init.position": "TRIM_HORIZON"},
        **res.sink_properties(region),
        "sinks": {"flush.timeout.ms": 1000},
        # Long enough that no shard is declared idle while the job starts or catches up on the
        # backlog (an idle shard's next records could fall behind the others' watermark), short
        # enough that the last windows close soon after the data ends.
        "job": {"parallelism": parallelism, "source.idle-timeout.ms": idle_ms, **(job or {})},
    })


def end_marker(last_event_time: str, window_s: int) -> bytes:
    """A heartbeat (see udfs/telemetry.py) that moves the watermark past the last window so it
    closes; the job dead-letters it with reason 'heartbeat', so it is counted."""
    from simulator import format_event_time, parse_event_time

    ms = parse_event_time(last_event_time) + 2 * window_s * 1000
    return json.dumps({"heartbeat": True, "vehicle_id": "local-run-end-marker",
                       "event_time": format_event_time(ms)}).encode()


def end_markers(kinesis, arn: str, last_event_time: str, window_s: int) -> list[tuple[str, bytes]]:
    """One end marker per shard: every shard's watermark passes the last window, so no shard has
    to be declared idle for it to close. Idleness during a backlog read would let the others'
    watermark run past a shard's records."""
    marker = end_marker(last_event_time, window_s)
    return [(key, marker) for key in shard_keys(kinesis, arn, "local-run-end-marker").values()]


def shard_keys(kinesis, arn: str, prefix: str) -> dict[str, str]:
    """A partition key that hashes into each open shard's range: {shard id: key}, in shard order."""
    import hashlib

    shards = kinesis.list_shards(StreamARN=arn)["Shards"]
    ranges = {s["ShardId"]: (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
              for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]}
    keys: dict[str, str] = {}
    n = 0
    while len(keys) < len(ranges):
        key = f"{prefix}-{n}"
        h = int(hashlib.md5(key.encode()).hexdigest(), 16)
        keys.setdefault(next(sid for sid, (lo, hi) in ranges.items() if lo <= h <= hi), key)
        n += 1
    return {sid: keys[sid] for sid in ranges}


def last_event_time(records, max_gap_s: float = 120.0) -> str:
    """Newest event_time among the valid records (malformed ones may not even be JSON), leaving
    out readings far ahead of all the others (a wrong clock, rejected as future_event_time): the
    newest one that lies within max_gap_s of the next older one."""
    from simulator import parse_event_time
    from udfs.telemetry import FIELDS, parse_record

    at = FIELDS.index("event_time")
    parsed = (parse_record(data.decode("utf-8", "replace")) for _, data in records)
    times = sorted({r[at] for r in parsed if r[0] is None}, key=parse_event_time)
    while len(times) > 1 and parse_event_time(times[-1]) - parse_event_time(times[-2]) > max_gap_s * 1000:
        times.pop()
    return times[-1]


@dataclass
class LocalJob:
    client: object      # the JobClient
    rest: str           # the MiniCluster's REST API

    def cancel(self):
        _quiet_cancelled_python_worker()
        return self.client.cancel()

    def stop_with_savepoint(self, directory: Path) -> str:
        """Stop the job with a savepoint (what a Managed Flink update or stop does); returns its
        path, for start_on_moto(restore_from=...). Not drained: event-time timers stay in the
        savepoint. PyFlink 2.2's JobClient.stop_with_savepoint calls a Java method that no longer
        exists, so this goes to the Java JobClient directly."""
        from pyflink.java_gateway import get_gateway

        _quiet_cancelled_python_worker()
        fmt = get_gateway().jvm.org.apache.flink.core.execution.SavepointFormatType.CANONICAL
        return self.client._j_job_client.stopWithSavepoint(False, directory.resolve().as_uri(), fmt).get()

    def status(self) -> str:
        """RUNNING, FAILED, ... as the REST API says."""
        return self._rest("")["state"]

    def checkpoints(self) -> dict:
        """The REST API's checkpoint statistics: counts (completed, restored, ...) and the latest
        completed and restored checkpoints."""
        return self._rest("/checkpoints")

    def failures(self) -> list[str]:
        """The job's failures so far, oldest first: the innermost cause of each, one line."""
        got = self._rest("/exceptions")
        entries = got.get("exceptionHistory", {}).get("entries", [])
        return [root_cause(e.get("stacktrace") or e.get("exceptionName", ""))[:200] for e in reversed(entries)]

    def _rest(self, path: str):
        from tooling.job_metrics import rest_get  # imports PyFlink: only once a job runs

        return rest_get(f"{self.rest}/jobs/{self.client.get_job_id()}{path}")

    def counters(self, read: int, rejected: int):
        """The job's counters (tooling/job_metrics.py) once they count that many records."""
        from tooling.job_metrics import wait_for_counters

        return wait_for_counters(self.rest, str(self.client.get_job_id()), read, rejected)


def root_cause(trace: str) -> str:
    """The innermost 'Caused by' line of a Java stack trace, else its first line."""
    causes = [line for line in trace.splitlines() if line.startswith("Caused by: ")] or trace.splitlines()[:1]
    return causes[-1].removeprefix("Caused by: ").strip() if causes else "(no exception reported)"


def descendant_pids(command: bytes) -> list[int]:
    """Processes under this one whose command line contains `command`."""
    import os

    def parent(pid: int) -> int:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])

    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if command not in f.read():
                    continue
            pid = int(entry)
            while pid > 1 and pid != me:
                pid = parent(pid)
        except (OSError, ValueError, IndexError):
            continue
        if pid == me:
            found.append(int(entry))
    return sorted(found)


def python_worker_pids() -> list[int]:
    """The Python UDF worker processes (python_workers='process') the gateway JVM, a child of
    this process, started."""
    return descendant_pids(b"pyflink.fn_execution.beam.beam_boot")


def _quiet_cancelled_python_worker() -> None:
    """Locally the Python UDF worker runs in this process (PyFlink's loopback mode); cancelling
    the job hangs up its gRPC stream, and the worker's reader thread then dies with CANCELLED
    "Multiplexer hanging up", printed as a traceback after a run that went well. Only that one
    is silenced; any other thread exception is reported as before."""
    import threading

    previous = threading.excepthook
    if getattr(previous, "quiet_cancel", False):
        return

    def hook(args):
        if args.thread is not None and args.thread.name == "read_grpc_client_inputs" \
                and "CANCELLED" in str(args.exc_value):
            return
        previous(args)

    hook.quiet_cancel = True
    threading.excepthook = hook


def start_on_moto(config, checkpoints: Checkpoints, restore_from: str | None = None,
                  python_workers: str = "loopback", flink_settings: dict[str, str] | None = None) -> LocalJob:
    """Submits the real job (AWS connectors, config pointing at moto) to the local MiniCluster,
    with checkpoints and restarts like Managed Flink's, from a savepoint or retained checkpoint if
    given (every operator's state must be taken over). The caller cancels it. python_workers:
    see create_table_env; flink_settings: Flink keys for this run (tests that widen a timing)."""
    from jobs.io import AwsIO
    from jobs.telemetry_job import configure, create_table_env

    t_env = create_table_env(parallelism=config.get("job", "parallelism"), jars=(CONNECTOR_JAR,),
                             checkpoints=checkpoints, python_workers=python_workers)
    configure(t_env, config)
    for key, value in (flink_settings or {}).items():
        t_env.get_config().set(key, value)
    return submit(t_env, config, AwsIO(config), restore_from)


def submit(t_env, config, io, restore_from: str | None = None, sql_dir: Path | None = None) -> LocalJob:
    """Builds the job on a configured local t_env and submits it, from a savepoint or retained
    checkpoint if given, refusing state it cannot place (as an update on Managed Flink does)."""
    from jobs.telemetry_job import build, rest_url

    if restore_from:
        # Local only: Managed Flink restores from its own snapshots and rejects these keys in code.
        t_env.get_config().set("execution.state-recovery.path", restore_from)
        t_env.get_config().set("execution.state-recovery.ignore-unclaimed-state", "false")
    return LocalJob(build(t_env, config, io, sql_dir).execute().get_job_client(), rest_url(t_env))


def run_on_moto(moto, res, config, records, summary_sent, timeout_s, manifest, checkpoints: Checkpoints) -> int:
    """The real job against moto; returns the exit status."""
    from simulator import KinesisProducer

    say(f"submitting the job to the local MiniCluster ({checkpoints.state_backend} state, a checkpoint every "
        f"{checkpoints.interval_ms / 1000:g} s)")
    client = start_on_moto(config, checkpoints)
    try:
        kinesis = moto.client("kinesis")
        arn = stream_arn(moto.region, res.telemetry_stream)
        markers = end_markers(kinesis, arn, last_event_time(records), config.get("job", "window.size.s"))
        sent = KinesisProducer(kinesis, stream_arn=arn).send(markers)
        expected = summary_sent + sent.sent
        say(f"sent {sent.sent} heartbeats (one per shard) to close the last windows: the job reads "
            f"{summary_sent} + {sent.sent} = {expected} records, the heartbeats dead-lettered as 'heartbeat'")
        deadline = time.monotonic() + timeout_s
        while True:
            letters = read_output(moto, res, BY_VIEW["dead_letters"])
            windows = [json.loads(i) for i in read_output(moto, res, BY_VIEW["window_aggregates"])]
            valid = sum(w["record_count"] for w in windows if w["vehicle_id"] != FLEET_ID)
            say(f"accounted for {valid + len(letters)}/{expected} records "
                f"(valid {valid} in closed windows, dead letters {len(letters)})")
            if valid + len(letters) >= expected or time.monotonic() > deadline:
                break
            time.sleep(3)
        outputs = {o.view: read_output(moto, res, o) for o in OUTPUTS}
        fast, alerts = outputs["fast_laps"], outputs["alerts"]
        bucket, prefix = res.s3_location(BY_VIEW["fast_laps"])
        print(f"\nS3 s3://{bucket}/{prefix}: {len(fast)} CSV rows")
        for row in fast[:5]:
            print(f"  {row}")
        print(f"DynamoDB {res.target(BY_VIEW['window_aggregates'])}: {len(outputs['window_aggregates'])} window items; "
              f"{res.target(BY_VIEW['latest_state'])}: {len(outputs['latest_state'])} vehicles")
        print(f"Kinesis {res.target(BY_VIEW['alerts'])}: {len(alerts)} alerts")
        for a in alerts[:5]:
            print(f"  {a}")
        print(f"Dead letters: {len(letters)}")
        kept = _keep_outputs(outputs)
        print(f"Outputs kept in {kept.relative_to(PROJECT_DIR)}/ ({', '.join(o.file_name for o in OUTPUTS)})")
        _print_score(manifest, [json.loads(a) for a in alerts], [json.loads(d) for d in letters])
        ok = valid + len(letters) == expected
        print(f"reconciliation: read {expected} = valid {valid} + rejected {len(letters)} -> "
              f"{'OK' if ok else 'MISMATCH'}")
        by_reason = Counter(json.loads(d)["reason"] for d in letters)
        h = health(expected, by_reason)
        print(health_line(h))
        _print_archive(moto, res, expected)
        from tooling.job_metrics import from_outputs

        want = from_outputs(expected, windows, [json.loads(d) for d in letters], [json.loads(a) for a in alerts])
        metrics_ok = _print_job_metrics(client.counters(expected, len(letters)), want)
        return 0 if ok and h["healthy"] and metrics_ok else 1
    finally:
        client.cancel().result()
        say("job cancelled")


def _keep_outputs(outputs: dict[str, list[str]]) -> Path:
    """What the run produced, as files to look at after moto is gone (the replay's file names)."""
    folder = OUT_DIR / "outputs"
    folder.mkdir(parents=True, exist_ok=True)
    for o in OUTPUTS:
        (folder / o.file_name).write_text("".join(line + "\n" for line in outputs[o.view]), encoding="utf-8")
    return folder


def _print_archive(moto, res, read: int) -> None:
    """The raw archive: every record read, as received, where the replay finds it again."""
    from tooling.archive import read as read_archive

    bucket, prefix = res.s3_location(BY_VIEW["raw_archive"])
    url = f"s3://{bucket}/{prefix}"
    records, seen = read_archive(url, s3=moto.client("s3"))
    print(f"Raw archive {url}: {seen['lines']} lines in {seen['objects']} objects, {len(records)} distinct records "
          f"of {read} read; its copy out/local/outputs/raw_archive.jsonl replays with "
          f"`python -m tooling.replay out/local/outputs/raw_archive.jsonl --out out/replay`")


def _print_job_metrics(seen: Counter, want: Counter) -> bool:
    """The job's own counters (on Managed Flink: CloudWatch), which must agree with the outputs."""
    seen = +seen
    agree = seen == want
    rejected = {k: n for k, n in sorted(seen.items()) if k not in ("read", "valid") and not k.startswith("alert:")}
    alerts = {k.removeprefix("alert:"): n for k, n in sorted(seen.items()) if k.startswith("alert:")}
    verdict = "agree with the outputs" if agree else "DISAGREE with the outputs"
    print(f"job metrics (CloudWatch on Managed Flink): read {seen['read']}, valid {seen['valid']}, "
          f"rejected {rejected}, alerts {alerts} -> {verdict}")
    if not agree:
        print(f"  the outputs say: {dict(sorted(want.items()))}")
    return agree


def _print_score(manifest: list[dict], alerts: list[dict], dead_letters: list[dict]) -> None:
    from tooling.scoring import score

    s = score(manifest, alerts, dead_letters)
    print(f"against the simulator's ground truth: alerts found {s['alerts_found']}/{s['alerts_expected']}, "
          f"alerts inside injected scenarios {s['alerts_inside_scenarios']}/{s['alerts_raised']}")


def replay_instead(capture: Path, out: Path, manifest: list[dict]) -> int:
    from tooling.replay import FILE_NAMES, print_summary, replay_config, run
    from tooling.scoring import read_jsonl

    summary = run(capture, out, replay_config())
    print()
    print_summary(summary, out)
    _print_score(manifest, read_jsonl(out / FILE_NAMES["alerts"]), read_jsonl(out / FILE_NAMES["dead_letters"]))
    for name, n in (("fast_laps.csv", 5), ("alerts.jsonl", 3), ("window_aggregates.jsonl", 2)):
        lines = (out / name).read_text().splitlines()[:n]
        print(f"\n{name} (first {len(lines)}):")
        for line in lines:
            print(f"  {line}")
    return 0 if summary["reconciled"] and summary["health"]["healthy"] else 1


def _terminate_like_ctrl_c(signum, frame):
    # The `with MotoServer()` block below then tears moto down as on Ctrl-C.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m tooling.local_run", description="Run the telemetry job locally end to end on moto.")
    p.add_argument("--vehicles", type=int, default=10, help="fleet size")
    p.add_argument("--hz", type=float, default=2.0, help="records per second per vehicle (event time)")
    p.add_argument("--duration", type=float, default=600.0, help="seconds of event time to simulate")
    p.add_argument("--rate", type=float, default=0.0, help="records/s sent to Kinesis (0 = as fast as possible)")
    p.add_argument("--seed", type=int, default=7, help="simulator seed: same seed, same records")
    p.add_argument("--clean", action="store_true", help="no injected faults or scenarios")
    p.add_argument("--parallelism", type=int, default=2,
                   help="job parallelism (the telemetry stream has 2 shards; any value gives the same results)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the job's outputs")
    p.add_argument("--checkpoint-interval", type=float, default=10.0,
                   help="seconds between checkpoints (RocksDB state, like Managed Flink; default 10)")
    p.add_argument("--live", action="store_true",
                   help="keep the simulator sending at event-time pace and serve the fleet view (tooling/fleet_view) "
                        "on 127.0.0.1 until Ctrl-C; --duration, --rate and --timeout do not apply")
    p.add_argument("--port", type=int, default=8765, help="with --live: the fleet view's port on 127.0.0.1")
    p.add_argument("--window", type=int, default=10, help="with --live: window length in seconds (charts)")
    args = p.parse_args(argv)
    if args.vehicles < 1:
        p.error(f"--vehicles must be at least 1, got {args.vehicles}")
    if not 0 < args.hz <= 100:
        p.error(f"--hz must be in (0, 100], got {args.hz}")
    if args.duration <= 0:
        p.error(f"--duration must be more than 0 seconds, got {args.duration}")
    if args.rate < 0:
        p.error(f"--rate must be 0 or more, got {args.rate}")
    if not 1 <= args.parallelism <= 1024:
        p.error(f"--parallelism must be 1..1024, got {args.parallelism}")
    if args.timeout <= 0:
        p.error(f"--timeout must be more than 0 seconds, got {args.timeout}")
    if not 0.01 <= args.checkpoint_interval <= 3600:
        p.error(f"--checkpoint-interval must be 0.01..3600 seconds, got {args.checkpoint_interval}")
    if args.live:
        if not 1 <= args.window <= 3600 or not 0 <= args.port <= 65535:
            p.error(f"--live needs --window 1..3600 and --port 0..65535, got {args.window} and {args.port}")
        if not CONNECTOR_JAR.is_file():
            p.error(f"--live runs the job on moto and needs {CONNECTOR_JAR.relative_to(PROJECT_DIR)} (make jars)")
        from tooling.fleet_view.live import run_live

        return run_live(args, OUT_DIR, say)

    from simulator import FleetConfig, KinesisProducer, generate, write_jsonl, write_manifest

    signal.signal(signal.SIGTERM, _terminate_like_ctrl_c)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    res = LocalResources()
    fleet = FleetConfig(vehicles=args.vehicles, hz=args.hz, duration=args.duration, seed=args.seed)
    sim = generate(fleet.clean() if args.clean else fleet)
    records = list(sim)
    capture, manifest = OUT_DIR / "telemetry.jsonl", OUT_DIR / "manifest.jsonl"
    write_jsonl(records, str(capture))
    write_manifest(sim.manifest, str(manifest))
    say(f"simulated {len(records)} records from {args.vehicles} vehicles over {args.duration:.0f} s of event time "
        f"({len(sim.manifest)} injected scenarios/faults) -> {capture}")

    try:
        with MotoServer() as moto:
            say(f"moto server up at {moto.endpoint}")
            create_resources(moto, res)
            say(f"created stream {res.telemetry_stream} ({res.telemetry_shards} shards) and the outputs' "
                f"{', '.join(res.target(o) for o in OUTPUTS)}")
            props = OUT_DIR / "application_properties.json"
            props.write_text(json.dumps(local_properties(moto, res, args.parallelism), indent=2))
            config = load(props)  # the same validation the job runs at start
            say(f"wrote job configuration {props}")

            kinesis = moto.client("kinesis")
            producer = KinesisProducer(kinesis, stream_arn=stream_arn(moto.region, res.telemetry_stream))
            sent = producer.send(records, rate=args.rate)
            say(f"sent to Kinesis: {sent}")

            if CONNECTOR_JAR.is_file():
                checkpoints = Checkpoints(OUT_DIR / "checkpoints", interval_ms=round(args.checkpoint_interval * 1000))
                return run_on_moto(moto, res, config, records, sent.sent, args.timeout, sim.manifest, checkpoints)
            say(f"the connector jar {CONNECTOR_JAR.relative_to(PROJECT_DIR)} is missing: `make jars` could not "
                f"fetch the AWS connectors from Maven Central (see build-jars.log and README 'Connector jars'; "
                f"`make jars CONNECTOR_REPO=<folder or URL>` adds a repository). "
                f"The job cannot read Kinesis without it.")
            say("running the same SQL on the captured records with files instead (replay)")
        return replay_instead(capture, OUT_DIR / "replay", sim.manifest)
    except KeyboardInterrupt:
        say("interrupted; moto stopped")
        return 130


if __name__ == "__main__":
    sys.exit(main())

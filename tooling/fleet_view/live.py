"""`make run ARGS=--live`: the job on moto fed by the simulator at event-time pace, and the fleet
view on it, until Ctrl-C.

1. a moto server and the job's resources (tooling/local_aws.py), the job's configuration as the
   local run writes it, with a shorter window (--window, 10 s) so the charts move;
2. the real job on the local MiniCluster (tooling/local_run.py start_on_moto);
3. the simulator (faults and scenarios included unless --clean) starting at the wall clock and
   sending each record when its event time comes, in a thread;
4. the fleet view on 127.0.0.1 (the URL is printed), reading only the outputs, job status and
   records/s from the MiniCluster's REST API;
5. Ctrl-C (or SIGTERM) stops the sender, the page, the job and moto, in that order.
"""
from __future__ import annotations

import json
import re
import signal
import threading
import time
from datetime import datetime, timezone

from jobs.config import load
from jobs.telemetry_job import Checkpoints
from tooling.local_aws import LocalResources, MotoServer, create_resources, stream_arn

_EVENT_TIME = re.compile(rb'"event_time":\s*"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"')


def at_event_time(records, start_ms: int, stop: threading.Event, clock=time.time, sleep=time.sleep,
                  max_ahead_ms: int = 5000):
    """Yields each record once the wall clock reaches its event time (start_ms, the simulation's
    start, is now). Records without a readable event time (malformed ones) and records far ahead
    of the newest one sent (the simulator's wrong-clock faults, which the job rejects as
    future_event_time) go at once instead of holding the fleet back."""
    from simulator import parse_event_time

    offset, newest = clock() - start_ms / 1000, start_ms
    for key, data in records:
        if stop.is_set():
            return
        m = _EVENT_TIME.search(data[:400])
        ms = parse_event_time(m.group(1).decode()) if m else None
        if ms is not None and ms - newest <= max_ahead_ms:
            newest = max(newest, ms)
            while (wait := ms / 1000 + offset - clock()) > 0:
                if stop.is_set():
                    return
                sleep(min(wait, 0.25))
        yield key, data


class Sender(threading.Thread):
    def __init__(self, kinesis, arn: str, records, rate: float, start_ms: int):
        super().__init__(name="live-sender", daemon=True)
        self.kinesis, self.arn, self.records, self.rate, self.start_ms = kinesis, arn, records, rate, start_ms
        self.stop_event = threading.Event()
        self.summary = None
        self.error: BaseException | None = None

    def run(self) -> None:
        from simulator import KinesisProducer

        try:
            # The rate only sizes the batches (a batch holds ~0.2 s of records); the pace is the
            # records' event time.
            self.summary = KinesisProducer(self.kinesis, stream_arn=self.arn).send(
                at_event_time(self.records, self.start_ms, self.stop_event), rate=self.rate)
        except BaseException as e:  # reported by the main thread
            self.error = e

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=15)


def live_properties(moto, res, parallelism: int, window_s: int) -> list[dict]:
    from tooling.local_run import local_properties

    # Short idle timeout: a live source never goes quiet for long, and a shard that does should
    # not hold the windows back.
    doc = local_properties(moto, res, parallelism, idle_ms=5000)
    for group in doc:
        if group["PropertyGroupId"] == "job":
            group["PropertyMap"]["window.size.s"] = str(window_s)
    return doc


def run_live(args, out_dir, say) -> int:
    """args: local_run's (vehicles, hz, seed, clean, parallelism, checkpoint_interval, port, window)."""
    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    out_dir.mkdir(parents=True, exist_ok=True)
    res = LocalResources()
    try:
        with MotoServer() as moto:
            say(f"moto server up at {moto.endpoint}")
            create_resources(moto, res)
            props = out_dir / "live_application_properties.json"
            props.write_text(json.dumps(live_properties(moto, res, args.parallelism, args.window), indent=2))
            config = load(props)
            say(f"wrote job configuration {props} ({args.window} s windows)")
            _serve(args, moto, res, config, out_dir, say)
    except KeyboardInterrupt:
        return 130
    finally:
        say("moto stopped")
    return 0


def _serve(args, moto, res, config, out_dir, say) -> None:
    """The job, the sender and the page until Ctrl-C; then each stopped, the job before moto."""
    from simulator import FleetConfig, format_event_time, generate
    from tooling.local_run import start_on_moto

    from .data import Targets
    from .server import Served, build_hub

    job = sender = served = hub = None
    try:
        checkpoints = Checkpoints(out_dir / "live-checkpoints", interval_ms=round(args.checkpoint_interval * 1000))
        say("submitting the job to the local MiniCluster")
        job = start_on_moto(config, checkpoints)
        arn = stream_arn(moto.region, res.telemetry_stream)
        # Event time starts now; a day of it (Ctrl-C comes long before).
        now_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
        fleet = FleetConfig(vehicles=args.vehicles, hz=args.hz, duration=86400.0, seed=args.seed,
                            start=format_event_time(now_ms))
        sim = generate(fleet.clean() if args.clean else fleet)
        sender = Sender(moto.client("kinesis"), arn, sim, rate=args.vehicles * args.hz * 1.1, start_ms=now_ms)
        sender.start()
        say(f"simulator sending {args.vehicles} vehicles x {args.hz:g} Hz at event-time pace"
            f"{' (no faults)' if args.clean else ' (faults and scenarios included)'}")
        hub = build_hub(Targets.local(res, moto.region, moto.endpoint), job_rest=job.rest).start()
        served = Served(hub, "127.0.0.1", args.port).start()
        say(f"fleet view: {served.url}  (Ctrl-C stops everything)")
        while sender.is_alive():
            time.sleep(1)
        if sender.error:
            raise RuntimeError(f"the simulator's sender failed: {sender.error!r}")
        say(f"the simulator finished: {sender.summary}; the page stays up until Ctrl-C")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        say("stopping")
        raise
    finally:
        if sender:
            sender.stop()
        if served:
            served.stop()
        if hub:
            hub.stop()
        if job:
            try:
                # Let the bundles in flight finish: a Python worker cancelled mid-bundle prints
                # Beam's "Channel closed prematurely" traceback (harmless, but alarming).
                time.sleep(3)
                job.cancel().result()
                say("job cancelled")
            except Exception as e:  # already failed or gone: say so, go on stopping
                say(f"job cancel: {type(e).__name__}: {e}")

"""A simulated fleet's backlog through the real job on moto, with or without a fault on the way.

`run_backlog` fills a 4-shard telemetry stream (a backlog, as after a restart, a resume or an
outage), runs the job until every record is accounted for and collects what each output holds.
An `interrupt` (a fault test's) gets the running job halfway: only the first half of the records
is in the stream then, and the interrupt sends the second half itself, at the moment its fault
needs. `compare` checks a run against the same input run without a fault, the way a user of
an at-least-once pipeline would: every window item and alert_id identical, every fast-lap line
and dead letter present, duplicates counted.
"""
from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from jobs.config import parse
from jobs.outputs import BY_VIEW
from jobs.telemetry_job import Checkpoints
from simulator import FleetConfig, KinesisProducer
from tooling.local_aws import LocalResources, create_resources, read_output, stream_arn
from tooling.local_run import LocalJob, end_markers, last_event_time, local_properties, start_on_moto

FLEET = FleetConfig(vehicles=8, hz=2, duration=150, seed=17, late_rate=0.01, malformed_rate=0.01)


@dataclass
class Backlog:
    """What an interrupt needs: the job's config and checkpoints, sending, and progress."""
    config: object
    properties: list            # the config's MSF-shaped document, for a changed copy
    checkpoints: Checkpoints
    send: Callable[[list], None]
    accounted: Callable[[], int]
    rest_of_records: list
    notes: dict = field(default_factory=dict)
    extra: int = 0              # records sent beyond the backlog (counted as they are accounted for)

    def wait_until_steady(self, seconds: int = 3) -> int:
        """Until the records in the stream are processed as far as the watermark lets them."""
        last, steady = -1, 0
        while steady < seconds:
            now = self.accounted()
            steady, last = (steady + 1 if now == last and now > 0 else 0), now
            time.sleep(1)
        return last


def wait_for(what: str, condition, timeout_s: float = 120, explain=lambda: ""):
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what} {explain()}"
        time.sleep(0.2)
    return value


Interrupt = Callable[[LocalJob, Backlog], LocalJob]


def run_backlog(moto, fleet_records: list, parallelism: int, interrupt: Interrupt | None = None,
                start: Callable[..., LocalJob] = start_on_moto, endpoint: str | None = None,
                timeout_s: float = 240, job: dict | None = None) -> dict:
    """endpoint: where the job reaches AWS, if not moto itself (a proxy in front of it); job: more
    keys of the job's `job` group."""
    moto.reset()
    res = LocalResources(telemetry_shards=4)
    create_resources(moto, res)
    kinesis, arn = moto.client("kinesis"), stream_arn(moto.region, res.telemetry_stream)
    records = [*fleet_records, *end_markers(kinesis, arn, last_event_time(fleet_records), 60)]
    cut = len(records) // 2 if interrupt else len(records)

    def send(part: list) -> None:
        sent = KinesisProducer(kinesis, stream_arn=arn).send(part)
        assert sent.sent == len(part) and sent.failed == 0

    def lines(view: str) -> list[str]:
        return read_output(moto, res, BY_VIEW[view])

    def valid(windows: list[dict]) -> int:
        return sum(w["record_count"] for w in windows if w["vehicle_id"] != "__fleet__")

    def accounted() -> int:
        return valid([json.loads(w) for w in lines("window_aggregates")]) + len(lines("dead_letters"))

    send(records[:cut])
    # Idle only after 15 s without records: a subtask reading four shards from a backlog serves
    # each in turn, and one declared idle meanwhile would let the others' watermark pass it.
    properties = local_properties(moto, res, parallelism=parallelism, idle_ms=15000, endpoint=endpoint, job=job)
    config = parse(properties)
    checkpoints = Checkpoints(Path(tempfile.mkdtemp(prefix="checkpoints-")), interval_ms=1000)
    job = start(config, checkpoints)
    backlog = Backlog(config, properties, checkpoints, send, accounted, records[cut:])
    try:
        if interrupt:
            job = interrupt(job, backlog)
        deadline = time.monotonic() + timeout_s
        while accounted() < len(records) + backlog.extra and time.monotonic() < deadline:
            time.sleep(2)
        backlog.notes["all accounted after s"] = time.monotonic() - deadline + timeout_s
        time.sleep(3)           # anything still in flight would show up now
        outputs = {view: lines(view) for view in ("window_aggregates", "dead_letters", "alerts", "fast_laps")}
        backlog.notes["accounted"] = f"{accounted()}/{len(records)}"
        backlog.notes["job failures"] = job.failures()
    finally:
        if job is not None:
            job.cancel().result()
    windows = [json.loads(w) for w in outputs["window_aggregates"]]
    # A dead letter says when it was rejected (processing time): not part of its identity.
    letters = Counter(json.dumps({k: v for k, v in json.loads(d).items() if k != "rejected_at"}, sort_keys=True)
                      for d in outputs["dead_letters"])
    return {
        "read": len(records),
        "notes": backlog.notes,
        "valid": valid(windows),
        "windows": {(w["vehicle_id"], w["window_start"]): w for w in windows},
        "dead_letters": letters,
        "reasons": Counter(json.loads(d)["reason"] for d in letters.elements()),
        "alerts": Counter(json.loads(a)["alert_id"] for a in outputs["alerts"]),
        "alert_rows": {a["alert_id"]: a for a in map(json.loads, outputs["alerts"])},
        "fast_laps": Counter(outputs["fast_laps"]),
    }


def compare_windows(clean: dict, other: dict) -> None:
    """Every window item of `clean` in `other`, the same, and no other."""
    assert other["windows"].keys() == clean["windows"].keys(), (
        sorted(other["windows"].keys() - clean["windows"].keys())[:5],
        sorted(clean["windows"].keys() - other["windows"].keys())[:5], other["reasons"], clean["reasons"])
    for key, window in clean["windows"].items():
        # Averages may differ in the last bits: the records of a window may arrive in another order.
        assert other["windows"][key] == {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v
                                         for k, v in window.items()}, key


def compare(clean: dict, other: dict) -> dict[str, int]:
    """`other` holds everything `clean` does; returns the duplicates per output (at-least-once
    sinks re-send what was in flight at a failure)."""
    compare_windows(clean, other)
    assert clean["alerts"] and set(other["alerts"]) == set(clean["alerts"])    # none lost, none re-keyed
    duplicates = {}
    for name in ("alerts", "fast_laps", "dead_letters"):
        missing = clean[name] - other[name]
        assert not missing, (name, list(missing.elements())[:3])
        assert set(other[name]) == set(clean[name]), (name, list(set(other[name]) - set(clean[name]))[:3])
        duplicates[name] = sum(other[name].values()) - sum(clean[name].values())
    # read = valid + rejected, counting each dead letter once
    assert other["valid"] + sum(clean["dead_letters"].values()) == other["read"]
    return duplicates

"""Shards read out of step: the same backlog on four shards, read by 1, 2 and 4 source subtasks,
gives the same outputs, and only the records injected as late are late.

Each run starts from a pre-filled stream (a backlog, as after a restart, a resume or an outage):
a subtask reading several shards gets them in GetRecords batches, one shard far ahead of another.
With one watermark per subtask (the SQL Kinesis source) that dead-lettered up to 40% of on-time
records as late; with per-shard watermarks and per-shard verdicts in the source, parallelism is
only a throughput choice. Real connectors on moto.
"""
from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from jobs.config import parse
from jobs.outputs import BY_VIEW
from jobs.telemetry_job import Checkpoints
from simulator import FleetConfig, KinesisProducer, generate
from tooling.local_aws import LocalResources, create_resources, read_output, stream_arn
from tooling.local_run import end_markers, last_event_time, local_properties, start_on_moto

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("connector_jar")]

FLEET = FleetConfig(vehicles=8, hz=2, duration=150, seed=17, late_rate=0.01, malformed_rate=0.01)


@pytest.fixture(scope="module")
def fleet():
    sim = generate(FLEET)
    return list(sim), sim.manifest


def _run(moto, fleet_records, parallelism: int, savepoints: Path | None = None) -> dict:
    """The backlog through the job. With `savepoints`: only the first half is in the stream when
    the job starts; once it has read what it can of it, the job stops with a savepoint, the second
    half arrives while it is stopped, and a new job resumes from the savepoint (an update on
    Managed Flink)."""
    moto.reset()
    res = LocalResources(telemetry_shards=4)
    create_resources(moto, res)
    kinesis, arn = moto.client("kinesis"), stream_arn(moto.region, res.telemetry_stream)
    records = [*fleet_records, *end_markers(kinesis, arn, last_event_time(fleet_records), 60)]
    cut = len(records) // 2 if savepoints else len(records)

    def send(part: list) -> None:
        sent = KinesisProducer(kinesis, stream_arn=arn).send(part)
        assert sent.sent == len(part) and sent.failed == 0

    def read(view: str) -> list[dict]:
        return [json.loads(line) for line in read_output(moto, res, BY_VIEW[view])]

    def valid(windows: list[dict]) -> int:
        return sum(w["record_count"] for w in windows if w["vehicle_id"] != "__fleet__")

    def accounted() -> int:
        return valid(read("window_aggregates")) + len(read("dead_letters"))

    send(records[:cut])
    # Idle only after 15 s without records: a subtask reading four shards from a backlog serves
    # each in turn, and one declared idle meanwhile would let the others' watermark pass it.
    config = parse(local_properties(moto, res, parallelism=parallelism, idle_ms=15000))
    checkpoints = Checkpoints(Path(tempfile.mkdtemp(prefix="checkpoints-")), interval_ms=1000)
    client = start_on_moto(config, checkpoints)
    stopped_at = None
    try:
        if savepoints:
            last, steady = -1, 0
            while steady < 3:       # the first half read as far as the watermark lets it
                now = accounted()
                steady, last = (steady + 1 if now == last and now > 0 else 0), now
                time.sleep(1)
            stopped_at = last
            path = client.stop_with_savepoint(savepoints)
            client = None
            send(records[cut:])
            client = start_on_moto(config, checkpoints, restore_from=path)
        deadline = time.monotonic() + 240
        while accounted() < len(records) and time.monotonic() < deadline:
            time.sleep(2)
        time.sleep(3)           # anything still in flight would show up now
        windows, letters, alerts = read("window_aggregates"), read("dead_letters"), read("alerts")
    finally:
        if client is not None:
            client.cancel().result()
    return {
        "read": len(records),
        "stopped_at": stopped_at,
        "valid": valid(windows),
        "windows": {(w["vehicle_id"], w["window_start"]): w for w in windows},
        "reasons": Counter(d["reason"] for d in letters),
        "alert_ids": sorted(a["alert_id"] for a in alerts),
    }


@pytest.fixture(scope="module")
def runs(moto_server, fleet):
    records, _ = fleet
    return {p: _run(moto_server, records, p) for p in (4, 2, 1)}


def test_every_record_accounted_for_at_every_parallelism(runs):
    for p, run in runs.items():
        assert run["valid"] + sum(run["reasons"].values()) == run["read"], p


def test_late_equals_the_records_injected_as_late(runs, fleet):
    _, manifest = fleet
    injected = sum(e["expected"] == "dead_letter:late" for e in manifest)
    assert injected >= 3
    for p, run in runs.items():
        assert run["reasons"]["late"] == injected, (p, run["reasons"])


@pytest.mark.parametrize("parallelism", [1, 2])
def test_fewer_subtasks_than_shards_give_the_same_outputs(runs, parallelism):
    full, fewer = runs[4], runs[parallelism]
    assert fewer["reasons"] == full["reasons"]
    assert fewer["windows"].keys() == full["windows"].keys()
    for key, window in full["windows"].items():
        # Averages may differ in the last bits: the records of a window arrive in another order.
        assert fewer["windows"][key] == {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v
                                         for k, v in window.items()}, key
    assert fewer["alert_ids"] == full["alert_ids"] and full["alert_ids"]


def test_stop_with_savepoint_mid_backlog_and_resume_gives_the_same_outputs(moto_server, fleet, runs, tmp_path):
    """What an update on Managed Flink does: snapshot, stop, new job from the snapshot, with
    records arriving in between. Compared with the uninterrupted run at the same parallelism."""
    records, manifest = fleet
    resumed, full = _run(moto_server, records, 2, savepoints=tmp_path), runs[2]
    assert 0 < resumed["stopped_at"] < resumed["read"] / 2 + 1, resumed["stopped_at"]   # mid-stream
    assert resumed["valid"] + sum(resumed["reasons"].values()) == resumed["read"]
    assert resumed["reasons"] == full["reasons"]
    assert resumed["reasons"]["late"] == sum(e["expected"] == "dead_letter:late" for e in manifest)
    assert resumed["windows"].keys() == full["windows"].keys()
    for key, window in full["windows"].items():
        assert resumed["windows"][key] == {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v
                                           for k, v in window.items()}, key
    assert resumed["alert_ids"] == full["alert_ids"] and full["alert_ids"]   # none lost, none re-keyed

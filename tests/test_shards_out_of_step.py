"""Shards read out of step: the same backlog on four shards, read by 1, 2 and 4 source subtasks,
gives the same outputs, and only the records injected as late are late.

Each run starts from a pre-filled stream (a backlog, as after a restart, a resume or an outage):
a subtask reading several shards gets them in GetRecords batches, one shard far ahead of another.
With one watermark per subtask (the SQL Kinesis source) that dead-lettered up to 40% of on-time
records as late; with per-shard watermarks and per-shard verdicts at the source, parallelism is
only a throughput choice. Real connectors on moto. The runs are shared with tests/test_faults.py
(conftest.py's `backlog_runs`).
"""
from __future__ import annotations

import json
import time

import pytest

from jobs.config import parse
from jobs.outputs import BY_VIEW
from jobs.telemetry_job import Checkpoints
from simulator import KinesisProducer
from tests.backlog import compare, wait_for
from tests.fixtures import line, record, ts
from tooling.local_aws import LocalResources, create_resources, read_output, stream_arn
from tooling.local_run import end_markers, local_properties, shard_keys, start_on_moto

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("connector_jar")]


def test_every_record_accounted_for_at_every_parallelism(backlog_runs):
    for p, run in backlog_runs.items():
        assert run["valid"] + sum(run["reasons"].values()) == run["read"], p


def test_late_equals_the_records_injected_as_late(backlog_runs, backlog_fleet):
    _, manifest = backlog_fleet
    injected = sum(e["expected"] == "dead_letter:late" for e in manifest)
    assert injected >= 3
    for p, run in backlog_runs.items():
        assert run["reasons"]["late"] == injected, (p, run["reasons"])


@pytest.mark.parametrize("parallelism", [1, 2])
def test_fewer_subtasks_than_shards_give_the_same_outputs(backlog_runs, parallelism):
    full, fewer = backlog_runs[4], backlog_runs[parallelism]
    assert fewer["reasons"] == full["reasons"]
    assert compare(full, fewer) == {"alerts": 0, "fast_laps": 0, "dead_letters": 0}


def test_a_quiet_shard_s_old_readings_are_dead_lettered_late_not_dropped(moto, tmp_path):
    """Shard 1 says nothing after its first reading for longer than the idle timeout while shard
    0's vehicle moves the watermark to 54 s; then shard 1 delivers readings of 10..19 s (a device catching up after a
    dead zone) and of 70..79 s, and end markers close the windows. Its subtask is on time by its
    own watermark, but downstream of the shuffle the job's watermark is already past 10..19 s:
    those ten are late, dead-lettered and counted, not dropped. One subtask per shard."""
    res = LocalResources(telemetry_shards=2)
    create_resources(moto, res)
    kinesis, arn = moto.client("kinesis"), stream_arn(moto.region, res.telemetry_stream)
    busy_key, quiet_key = shard_keys(kinesis, arn, "quiet-shard-test").values()

    def send(key: str, readings: list[dict]) -> None:
        sent = KinesisProducer(kinesis, stream_arn=arn).send([(key, line(r).encode()) for r in readings])
        assert sent.sent == len(readings) and sent.failed == 0

    config = parse(local_properties(moto, res, parallelism=2, idle_ms=2000))
    # Network buffers flushed once a second, not every 100 ms: when the staging had two paths to
    # the dedupe, the watermark came down the parser's path ahead of this shard's readings of
    # 70..74 s, late, in 1 of 3 runs so (1 in ~20 CI runs without); none since (sql/12).
    job = start_on_moto(config, Checkpoints(tmp_path / "checkpoints", interval_ms=1000),
                        flink_settings={"execution.buffer-timeout.interval": "1000 ms"})
    try:
        # Shard 1 delivers once, then goes quiet (a shard that never delivered anything is another
        # case: its subtask had no per-split watermark to declare idle).
        send(quiet_key, [record("quiet", 0)])
        # Read before shard 0 moves on, or it may arrive behind shard 0's watermark (late).
        wait_for("the first reading of shard 1", lambda: job.counters(read=1, rejected=0)["read"] >= 1)
        send(busy_key, [record("busy", s) for s in range(60)])
        latest = BY_VIEW["latest_state"]
        # The latest state of 40..50 s is written once the watermark passes 50 s.
        wait_for("the latest state of 40..50 s",
                 lambda: any(json.loads(i)["last_event_time"] == ts(49) for i in read_output(moto, res, latest)),
                 explain=lambda: (read_output(moto, res, latest), job.status(), job.failures(), job.counters(61, 0)))
        time.sleep(3)       # the watermark (59 s - 5 s) reaches the dedupe; shard 1 is idle by now
        send(quiet_key, [record("quiet", s) for s in [*range(10, 20), *range(70, 80)]])
        seen = job.counters(read=81, rejected=10)
        assert (seen["read"], seen["late"]) == (81, 10), seen
        # Only now: an end marker moves its shard's watermark far ahead, and every reading of a
        # shard quiet meanwhile would be behind it.
        for key, marker in end_markers(kinesis, arn, ts(79), 60):
            send(key, [json.loads(marker)])
        wait_for("the windows and dead letters", lambda: len(read_output(moto, res, BY_VIEW["window_aggregates"])) >= 4
                 and len(read_output(moto, res, BY_VIEW["dead_letters"])) >= 12)
        time.sleep(3)       # anything more would show up now
        letters = [json.loads(d) for d in read_output(moto, res, BY_VIEW["dead_letters"])]
        windows = {(w["vehicle_id"], w["window_start"]): w["record_count"]
                   for w in map(json.loads, read_output(moto, res, BY_VIEW["window_aggregates"]))}
        counters = job.counters(read=83, rejected=12)
    finally:
        job.cancel().result()
    assert sorted((d["reason"], d.get("vehicle_id"), d.get("event_time")) for d in letters) == sorted(
        [*(("late", "quiet", ts(s)) for s in range(10, 20)),
         *(("heartbeat", "local-run-end-marker", ts(79 + 120)) for _ in range(2))])
    assert windows == {("busy", ts(0)): 60, ("quiet", ts(0)): 1, ("quiet", ts(60)): 10,
                       ("__fleet__", ts(0)): 61, ("__fleet__", ts(60)): 10}
    # read = valid + rejected, in the job's own counters too
    assert (counters["read"], counters["late"], counters["heartbeat"]) == (83, 10, 2)


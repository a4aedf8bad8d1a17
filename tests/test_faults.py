"""Nothing lost under faults: the backlog of tests/backlog.py with a fault halfway, compared with
the same input run without one (conftest.py's `backlog_runs`, 2 subtasks on 4 shards).

Checkpoints every second on RocksDB (jobs.telemetry_job.Checkpoints, what every local run has).
Each comparison: every window item identical, the same alert_ids, every fast-lap line and dead
letter present; duplicates are allowed (the sinks are at-least-once) and reported in
`run["duplicates"]`, recovery times in `run["notes"]`.
"""
from __future__ import annotations

import copy
import os
import signal
import threading
import time

import pytest

from jobs.config import parse
from tests.backlog import Backlog, compare, compare_windows, run_backlog, wait_for
from tooling.aws_proxy import AwsProxy
from tooling.local_run import LocalJob, python_worker_pids, start_on_moto

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("connector_jar")]

PARALLELISM = 2


def _completed_checkpoints(job: LocalJob) -> int:
    return job.checkpoints()["counts"]["completed"]


def test_a_killed_python_worker_restarts_from_the_last_checkpoint(moto_server, backlog_fleet, backlog_runs):
    """SIGKILL of a Python UDF worker while the second half of the backlog arrives: the task fails,
    the whole job restarts (the Kinesis source's enumerator cannot take back one task's splits)
    from the last checkpoint, and reads again what came after it. The parser in process mode
    (job.python.execution-mode PROCESS): in thread mode, the default, it has no process of its own."""
    records, _ = backlog_fleet

    def start_with_worker_processes(config, checkpoints):
        return start_on_moto(config, checkpoints, python_workers="process")

    def kill(job: LocalJob, backlog: Backlog) -> LocalJob:
        backlog.notes["stopped at"] = backlog.wait_until_steady()
        before = _completed_checkpoints(job)
        wait_for("a checkpoint of the first half", lambda: _completed_checkpoints(job) > before)
        workers = wait_for("the Python workers", python_worker_pids)
        rest = backlog.rest_of_records
        backlog.send(rest[:len(rest) // 2])
        # Mid-stream: once the second half has begun to reach the outputs; and more records come
        # after the kill (an idle worker's death goes unnoticed until the job next calls it).
        wait_for("the second half in the outputs", lambda: backlog.accounted() > backlog.notes["stopped at"])
        os.kill(workers[0], signal.SIGKILL)
        killed = time.monotonic()
        backlog.send(rest[len(rest) // 2:])
        restored = wait_for("the restore from the checkpoint", lambda: job.checkpoints()["latest"]["restored"],
                         explain=job.failures)
        backlog.notes["restored checkpoint"] = restored["id"]
        backlog.notes["restored after s"] = time.monotonic() - killed
        backlog.notes["failures"] = job.failures()
        backlog.notes["workers killed"] = 1
        return job

    run = run_backlog(moto_server, records, PARALLELISM, interrupt=kill, start=start_with_worker_processes,
                      job={"python.execution-mode": "PROCESS"})
    assert run["notes"]["restored checkpoint"] >= 1
    assert run["notes"]["failures"], run["notes"]
    run["duplicates"] = compare(backlog_runs[PARALLELISM], run)
    print(f"killed Python worker: {run['notes']}, duplicates {run['duplicates']}")


def test_stop_with_savepoint_mid_backlog_and_resume_gives_the_same_outputs(moto_server, backlog_fleet, backlog_runs,
                                                                          tmp_path):
    """What an update on Managed Flink does: snapshot, stop, new job from the snapshot, with
    records arriving in between."""
    records, manifest = backlog_fleet

    def stop_and_resume(job: LocalJob, backlog: Backlog) -> LocalJob:
        backlog.notes["stopped at"] = backlog.wait_until_steady()
        path = job.stop_with_savepoint(tmp_path)
        backlog.send(backlog.rest_of_records)
        return start_on_moto(backlog.config, backlog.checkpoints, restore_from=path)

    run = run_backlog(moto_server, records, PARALLELISM, interrupt=stop_and_resume)
    assert 0 < run["notes"]["stopped at"] < run["read"] / 2 + 1, run["notes"]      # mid-stream
    assert run["reasons"]["late"] == sum(e["expected"] == "dead_letter:late" for e in manifest)
    run["duplicates"] = compare(backlog_runs[PARALLELISM], run)
    # A savepoint stop flushes the sinks first: nothing is sent twice.
    assert run["duplicates"] == {"alerts": 0, "fast_laps": 0, "dead_letters": 0}





def test_a_rule_change_resumes_from_the_savepoint_with_its_state(moto_server, backlog_fleet, backlog_runs, tmp_path):
    """An analyst's rule change deployed as an update: savepoint, new properties (a lower speed
    threshold, a longer engine look-back), resume with every operator's state taken over."""
    records, _ = backlog_fleet
    changed = {"threshold.speed": "300", "rate.tire_rear_right.window.s": "120"}

    def change_rules(job: LocalJob, backlog: Backlog) -> LocalJob:
        backlog.notes["stopped at"] = backlog.wait_until_steady()
        path = job.stop_with_savepoint(tmp_path)
        backlog.send(backlog.rest_of_records)
        properties = copy.deepcopy(backlog.properties)
        properties.append({"PropertyGroupId": "rules", "PropertyMap": changed})
        return start_on_moto(parse(properties), backlog.checkpoints, restore_from=path)

    run, clean = run_backlog(moto_server, records, PARALLELISM, interrupt=change_rules), backlog_runs[PARALLELISM]
    # The windows open at the stop were completed from their saved state.
    assert compare_windows(clean, run) is None
    # Channels whose rules did not change alert exactly as before.
    def untouched(r):
        return {i for i, a in r["alert_rows"].items() if a["channel"] not in ("speed", "tire_rear_right")}
    assert untouched(run) == untouched(clean) and untouched(clean), [
        (a["channel"], a["rule"]) for a in clean["alert_rows"].values()]
    # The new threshold is in force after the resume, and only there.
    new_speed = [a for a in run["alert_rows"].values()
                 if a["channel"] == "speed" and a["rule"] == "threshold" and 300 < a["value"] <= 340]
    assert new_speed and all(a["threshold"] == 300 for a in new_speed)
    assert not any(a["channel"] == "speed" and a["value"] <= 340 for a in clean["alert_rows"].values())

OUTAGE_S = 30


def test_sinks_unreachable_for_30_s_lose_nothing(moto_server, backlog_fleet, backlog_runs):
    """Every sink request refused (connection closed, no answer) for 30 s while the second half
    of the backlog arrives; the source keeps reading. The sinks' writers retry and hold back the
    job meanwhile (backpressure); after the endpoint is back everything arrives."""
    records, _ = backlog_fleet
    with AwsProxy(moto_server.endpoint) as proxy:
        def outage(job: LocalJob, backlog: Backlog) -> LocalJob:
            backlog.notes["stopped at"] = backlog.wait_until_steady()
            proxy.paused.set()
            backlog.send(backlog.rest_of_records)
            time.sleep(OUTAGE_S)
            backlog.notes["accounted at the end of the outage"] = backlog.accounted()
            proxy.paused.clear()
            backlog.notes["requests refused"] = dict(proxy.refused)
            backlog.notes["failures during the outage"] = job.failures()
            threading.Thread(target=nudge, args=(backlog,), daemon=True).start()
            return job

        def nudge(backlog: Backlog) -> None:
            # A live stream keeps delivering. Here the stream ends with the outage, and a checkpoint
            # that completes during it can hold every record: after the next restore no shard
            # delivers, no shard has a watermark, and the windows wait (Flink's per-split
            # watermarks start only with a split's first record; docs/faults.md). If nothing moves
            # for 15 s, each shard gets one more end marker, as live traffic would bring.
            markers = [r for r in backlog.rest_of_records if b'"heartbeat"' in r[1]]
            last, still = -1, 0
            while still < 15 and backlog.accounted() < len(records) + len(markers):
                now = backlog.accounted()
                still, last = (still + 1 if now == last else 0), now
                time.sleep(1)
            if still >= 15:
                backlog.notes["nudged at"] = last
                backlog.extra = len(markers)
                backlog.send(markers)

        run = run_backlog(moto_server, records, PARALLELISM, interrupt=outage, endpoint=proxy.endpoint)
    notes = run["notes"]
    assert sum(notes["requests refused"].values()) > 0, notes
    assert notes["accounted at the end of the outage"] == notes["stopped at"], notes    # nothing got through
    run["duplicates"] = compare(backlog_runs[PARALLELISM], run)
    print(f"sinks unreachable for {OUTAGE_S} s: {notes}, duplicates {run['duplicates']}")

def test_resharding_mid_stream_loses_nothing(moto_server, backlog_fleet, backlog_runs):
    """The stream resharded 4 -> 8 while the job reads it, the second half of the backlog sent to
    the children: the source reads each parent to its end before its children (Kinesis keeps a
    key's records in order only that way), and every output equals the run without a reshard."""
    records, manifest = backlog_fleet

    def reshard(job: LocalJob, backlog: Backlog) -> LocalJob:
        backlog.notes["resharded at"] = backlog.wait_until_steady()
        kinesis = moto_server.client("kinesis")
        arn = backlog.config.get("source.telemetry", "stream.arn")
        kinesis.update_shard_count(StreamARN=arn, TargetShardCount=8, ScalingType="UNIFORM_SCALING")
        backlog.send(backlog.rest_of_records)
        landed = kinesis.list_shards(StreamARN=arn)["Shards"]
        backlog.notes["open shards"] = sum("EndingSequenceNumber" not in s["SequenceNumberRange"] for s in landed)
        return job

    run = run_backlog(moto_server, records, PARALLELISM, interrupt=reshard)
    assert run["notes"]["open shards"] == 8 and 0 < run["notes"]["resharded at"] < run["read"] / 2 + 1, run["notes"]
    assert run["reasons"]["late"] == sum(e["expected"] == "dead_letter:late" for e in manifest), run["reasons"]
    run["duplicates"] = compare(backlog_runs[PARALLELISM], run)
    assert run["duplicates"] == {"alerts": 0, "fast_laps": 0, "dead_letters": 0}


def test_the_stand_in_reshards_as_kinesis_does(moto):
    """What the reshard test relies on, as the Kinesis API reference describes it (moto alone does
    otherwise; tooling/moto_server.py): after a split the parents keep their records and are
    closed, new records go to the open child owning the key, reading a closed parent ends with no
    NextShardIterator and its ChildShards, and ListShards honours AFTER_SHARD_ID."""
    kinesis = moto.client("kinesis")
    kinesis.create_stream(StreamName="reshard-probe", ShardCount=2)
    before = {kinesis.put_record(StreamName="reshard-probe", Data=b"old", PartitionKey=f"veh-{i}")["ShardId"]
              for i in range(20)}
    kinesis.update_shard_count(StreamName="reshard-probe", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    shards = kinesis.list_shards(StreamName="reshard-probe")["Shards"]
    closed = {s["ShardId"] for s in shards if "EndingSequenceNumber" in s["SequenceNumberRange"]}
    children = {s["ShardId"]: s["ParentShardId"] for s in shards if "ParentShardId" in s}
    assert closed == before and len(children) == 4 and set(children.values()) == closed
    after = {kinesis.put_record(StreamName="reshard-probe", Data=b"new", PartitionKey=f"veh-{i}")["ShardId"]
             for i in range(20)}
    assert after == set(children)
    read: dict[str, list] = {}
    for shard in sorted(closed | set(children)):
        it = kinesis.get_shard_iterator(StreamName="reshard-probe", ShardId=shard,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = kinesis.get_records(ShardIterator=it, Limit=1000)
        read[shard] = [r["Data"] for r in got["Records"]]
        if shard in closed:
            assert "NextShardIterator" not in got
            assert {c["ShardId"] for c in got["ChildShards"]} == {c for c, p in children.items() if p == shard}
        else:
            assert got["NextShardIterator"] and not got.get("ChildShards")
    assert sorted(d for shard in closed for d in read[shard]) == [b"old"] * 20
    assert sorted(d for shard in children for d in read[shard]) == [b"new"] * 20
    # How the source looks for new shards: only those after the last one it saw.
    last_seen = sorted(closed)[-1]
    listed = kinesis.list_shards(StreamName="reshard-probe",
                                 ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": last_seen})["Shards"]
    assert {s["ShardId"] for s in listed} == set(children)

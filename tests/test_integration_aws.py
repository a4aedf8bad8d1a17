"""Kinesis -> the job on MiniCluster with the real connector jar -> Firehose/S3, DynamoDB and the
Kinesis alert stream, all on moto. Expected values are computed in the tests from the input.

Needs build/lib/telemetry-connectors.jar (`make jars`); see the `connector_jar` fixture.
"""
from __future__ import annotations

import csv
import json
import tempfile
import time
from pathlib import Path

import pytest

from jobs.config import parse
from jobs.outputs import BY_VIEW
from jobs.telemetry_job import Checkpoints
from simulator import KinesisProducer, clean_records
from tests.fixtures import record
from tests.scenario import (
    EXPECTED_FAST_LAPS,
    EXPECTED_REASONS,
    VALID,
    alert_rows,
    assert_windows_match,
    expected_alerts,
    expected_windows,
    fast_lap_rows,
    payloads,
)
from tooling import archive
from tooling.aws_proxy import FIREHOSE_PUT, AwsProxy
from tooling.local_aws import LocalResources, create_resources, read_output, stream_arn
from tooling.local_run import end_markers, last_event_time, local_properties, start_on_moto

FIREHOSE_RECORD_BYTES = 1000 * 1024        # Firehose's largest record (PutRecordBatch)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("connector_jar"),
]


def _poll(read, done, timeout_s=180.0, every_s=2.0):
    """read() until done(value) or the timeout; the last value either way, so a failing
    assertion shows what did arrive."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(every_s)
        value = read()
    return value


def _send_with_end_marker(moto, res, records: list) -> list:
    """Sends the records and, after them, a marker per shard that moves the watermark past every
    window. Returns everything sent (the markers last)."""
    kinesis, arn = moto.client("kinesis"), stream_arn(moto.region, res.telemetry_stream)
    records = [*records, *end_markers(kinesis, arn, last_event_time(records), 60)]
    sent = KinesisProducer(kinesis, stream_arn=arn).send(records)
    assert sent.sent == len(records) and sent.failed == 0
    return records


def _start_job(moto, res, parallelism, endpoint=None):
    checkpoints = Checkpoints(Path(tempfile.mkdtemp(prefix="checkpoints-")), interval_ms=1000)
    return start_on_moto(parse(local_properties(moto, res, parallelism=parallelism, endpoint=endpoint)), checkpoints)


def _managed_memory(rest: str) -> list[int]:
    """Managed memory of each of the MiniCluster's task managers, in bytes, as the REST API says."""
    from tooling.job_metrics import rest_get

    return [rest_get(f"{rest}/taskmanagers/{tm['id']}")["memoryConfiguration"]["managedMemory"]
            for tm in rest_get(f"{rest}/taskmanagers")["taskmanagers"]]


@pytest.fixture(scope="module")
def scenario_outputs(moto_server):
    """The hand-made scenario through Kinesis once; every output collected for the tests below.

    One shard, so the job reads the records in exactly the order they were sent (the scenario's
    out-of-order, duplicate and late records depend on it). Lateness is decided per shard in
    the source, record by record, so it does not depend on how the backlog is batched.
    """
    moto = moto_server
    moto.reset()
    res = LocalResources(telemetry_shards=1)
    create_resources(moto, res)
    records = _send_with_end_marker(moto, res, [("scenario", p) for p in payloads()])

    def lines(view: str) -> list[str]:
        return read_output(moto, res, BY_VIEW[view])

    def run_job(alerts_before: int, endpoint=None):
        client = _start_job(moto, res, parallelism=1, endpoint=endpoint)
        try:
            for view, at_least in (("window_aggregates", len(expected_windows())), ("latest_state", len(VALID)),
                                   ("dead_letters", len(EXPECTED_REASONS) + 1), ("fast_laps", len(EXPECTED_FAST_LAPS)),
                                   ("alerts", alerts_before + len(expected_alerts()))):
                _poll(lambda view=view: lines(view), lambda v, n=at_least: len(v) >= n)
            time.sleep(3)           # anything still in flight would show up now
            return client.counters(len(records), len(EXPECTED_REASONS) + 1), _managed_memory(client.rest)
        finally:
            client.cancel().result()

    def collect() -> dict:
        return {
            "windows": [json.loads(x) for x in lines("window_aggregates")],
            "state": [json.loads(x) for x in lines("latest_state")],
            "dead_letters": [json.loads(x) for x in lines("dead_letters")],
            "fast_laps": lines("fast_laps"),
            "lines": {"fast_laps": lines("fast_laps"), "dead_letters": lines("dead_letters")},
            "alerts": [json.loads(a) for a in lines("alerts")],
        }

    # The first run through the recording proxy: what the sinks really send.
    with AwsProxy(moto.endpoint) as proxy:
        metrics, managed = run_job(alerts_before=0, endpoint=proxy.endpoint)
    first = collect()
    first["firehose_records"] = {output: proxy.record_sizes[(operation, res.target(BY_VIEW[output]))]
                                 for output in ("fast_laps", "dead_letters", "raw_archive")
                                 for operation in FIREHOSE_PUT[:1]}
    first["lines"]["raw_archive"] = lines("raw_archive")
    # Reprocessing the same stream from TRIM_HORIZON (a new job, no state), as after losing state
    # or replaying for a fix: the same windows must land on the same items.
    run_job(alerts_before=len(first["alerts"]))
    # The raw archive now holds every record twice (both jobs read the whole stream).
    bucket, prefix = res.s3_location(BY_VIEW["raw_archive"])
    archived = archive.read(f"s3://{bucket}/{prefix}", s3=moto.client("s3"))
    return {"read": len(records), "sent": [data for _, data in records], **first, "metrics": metrics,
            "managed": managed, "again": collect(), "archive": archived}


def test_local_run_gives_rocksdb_a_slots_share_of_managed_memory(scenario_outputs):
    # 256 MB per slot (one slot per subtask, parallelism 1 here), not the MiniCluster's 128 MB for
    # all: RocksDB's write buffers and cache come out of it (jobs/telemetry_job.py).
    from jobs.telemetry_job import LOCAL_MANAGED_MB_PER_SLOT

    assert scenario_outputs["managed"] == [LOCAL_MANAGED_MB_PER_SLOT * 1024 * 1024]


def test_local_servers_get_free_ports_below_the_ephemeral_range():
    # Outbound connections take their local ports from the ephemeral range; a port picked there
    # for the MiniCluster's REST API was once taken before the MiniCluster bound it.
    import socket
    from pathlib import Path

    from jobs.telemetry_job import free_local_port

    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = {free_local_port() for _ in range(20)}
    assert all(10_000 <= p < low for p in ports) and len(ports) > 1
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))


def test_fast_laps_csv_through_firehose_to_s3(scenario_outputs):
    assert fast_lap_rows(csv.reader(scenario_outputs["fast_laps"])) == EXPECTED_FAST_LAPS


def test_firehose_lines_travel_many_to_a_record(scenario_outputs):
    """Firehose bills every record rounded up to 5 KB: the lines go packed (sinks.firehose.linger.ms),
    and what it delivers is exactly the lines, one per row."""
    for output in ("fast_laps", "dead_letters"):
        sizes, lines = scenario_outputs["firehose_records"][output], scenario_outputs["lines"][output]
        assert 0 < len(sizes) < len(lines) and max(sizes) <= FIREHOSE_RECORD_BYTES, (output, sizes)
        assert sum(sizes) == sum(len(line.encode()) + 1 for line in lines), output


def test_the_raw_archive_travels_gzipped(scenario_outputs):
    """The archive's records are the GZIP of its packed lines: Firehose bills (and S3 stores) the
    compressed bytes, and the object is one GZIP stream of every line."""
    sizes, lines = scenario_outputs["firehose_records"]["raw_archive"], scenario_outputs["lines"]["raw_archive"]
    raw = sum(len(line.encode()) + 1 for line in lines)
    assert 0 < len(sizes) < len(lines) and len(lines) == scenario_outputs["read"], (sizes, len(lines))
    print(f"raw archive: {len(lines)} lines, {raw} bytes, sent as {len(sizes)} records of {sum(sizes)} bytes")
    assert sum(sizes) < raw / 3


def test_dead_letters_through_firehose_with_reasons(scenario_outputs):
    letters = scenario_outputs["dead_letters"]
    # The scenario's rejects, plus the end-of-test marker (it carries no measurements).
    assert sorted(d["reason"] for d in letters) == sorted(EXPECTED_REASONS + ["heartbeat"])
    assert "\ufffd\ufffd\ufffd garbage" in [d["payload"] for d in letters]


def test_window_aggregates_items_in_dynamodb(scenario_outputs):
    assert_windows_match({(w["vehicle_id"], w["window_start"]): w for w in scenario_outputs["windows"]})


def test_latest_state_items_in_dynamodb(scenario_outputs):
    state = {s["vehicle_id"]: s for s in scenario_outputs["state"]}
    assert set(state) == set(VALID)
    for vehicle, recs in VALID.items():
        seconds, fields = max(recs, key=lambda r: r[0])
        newest = record(vehicle, seconds, **fields)
        assert state[vehicle]["last_event_time"] == newest["event_time"], vehicle
        assert state[vehicle]["speed"] == newest["speed"]
        assert state[vehicle]["engine_temp"] == newest["temperatures"]["engine"]
        assert state[vehicle]["extra2"] == pytest.approx(newest["fuel_consumption"] * newest["lap_time"], rel=1e-12)


def test_alerts_on_the_kinesis_alert_stream(scenario_outputs):
    alerts = scenario_outputs["alerts"]
    assert alert_rows(alerts) == expected_alerts()
    assert all(a["detected_at"].endswith("Z") for a in alerts)


def test_reprocessing_rewrites_the_same_items_and_alert_ids(scenario_outputs):
    first, again = scenario_outputs, scenario_outputs["again"]
    by_key = lambda items, *key: sorted(items, key=lambda i: tuple(i[k] for k in key))  # noqa: E731
    window = ("vehicle_id", "window_start")
    assert by_key(again["windows"], *window) == by_key(first["windows"], *window)
    assert by_key(again["state"], "vehicle_id") == by_key(first["state"], "vehicle_id")
    # The alert stream has each alert twice now, with the same alert_id: consumers de-duplicate.
    ids = sorted(a["alert_id"] for a in first["alerts"])
    assert sorted(a["alert_id"] for a in again["alerts"]) == sorted(ids + ids)


def test_counts_reconcile_across_the_aws_outputs(scenario_outputs):
    out = scenario_outputs
    valid = sum(w["record_count"] for w in out["windows"] if w["vehicle_id"] != "__fleet__")
    assert valid == sum(len(r) for r in VALID.values())
    assert out["read"] == valid + len(out["dead_letters"])


def test_job_metrics_count_every_record_rejection_and_alert(scenario_outputs):
    """What Managed Flink forwards to CloudWatch (udfs/metric_names.py): records read, valid,
    every dead letter under its reason, every alert under its rule and channel; equal to the
    scenario's hand-computed counts and to what the outputs hold."""
    from collections import Counter

    from tooling.job_metrics import from_outputs

    out = scenario_outputs
    want = Counter(read=out["read"], valid=sum(len(r) for r in VALID.values()))
    want.update(EXPECTED_REASONS + ["heartbeat"])
    want.update(f"alert:{a[1]}:{a[2]}" for a in expected_alerts())
    assert +out["metrics"] == want
    assert from_outputs(out["read"], out["windows"], out["dead_letters"], out["alerts"]) == want


def test_the_raw_archive_holds_every_record_as_sent(scenario_outputs):
    """Every record read, byte for byte (the non-UTF-8 one through data_base64), in send order;
    archived once per job that read it (two jobs) and kept once by the reader, by shard and
    sequence number."""
    records, seen = scenario_outputs["archive"]
    assert [r.payload for r in records] == scenario_outputs["sent"]
    assert (seen["lines"], seen["copies_dropped"]) == (2 * len(records), len(records))
    assert len({r.shard_id for r in records}) == 1
    assert [int(r.sequence_number) for r in records] == sorted(int(r.sequence_number) for r in records)
    assert all(r.arrival_ms > 0 for r in records)


def test_a_replay_of_the_raw_archive_gives_the_live_outputs(scenario_outputs, tmp_path):
    """The analyst's path: the archive of the live run, replayed through the same SQL with files,
    gives the same fast laps, windows, latest state, alerts and dead letters as the live job."""
    from tooling.replay import replay_config, run

    live = scenario_outputs
    records, _ = live["archive"]
    summary = run("archive", tmp_path, replay_config(), records=records)
    assert summary["reconciled"] and summary["records_read"] == live["read"]

    def jsonl(name):
        return [json.loads(x) for x in (tmp_path / name).read_text().splitlines()]

    assert sorted((tmp_path / "fast_laps.csv").read_text().splitlines()) == sorted(live["fast_laps"])
    key = lambda w: (w["vehicle_id"], w.get("window_start", ""))  # noqa: E731
    assert sorted(jsonl("window_aggregates.jsonl"), key=key) == sorted(live["windows"], key=key)
    assert sorted(jsonl("latest_state.jsonl"), key=key) == sorted(live["state"], key=key)
    assert alert_rows(jsonl("alerts.jsonl")) == alert_rows(live["alerts"])
    letter = lambda d: (d["reason"], d.get("vehicle_id"), d.get("event_time"), d["payload"])  # noqa: E731
    assert sorted(map(letter, jsonl("dead_letters.jsonl"))) == sorted(map(letter, live["dead_letters"]))


def test_simulated_fleet_on_two_shards_exact_fast_laps(moto):
    """A clean simulated fleet on two shards read by two source subtasks (each shard in order,
    the watermark the minimum of both): every speed >= 200 record arrives in S3 exactly once."""
    res = LocalResources()
    create_resources(moto, res)
    records = _send_with_end_marker(moto, res, clean_records(vehicles=3, hz=2, duration=20, seed=11))

    expected = []
    for _, data in records[:-2]:                 # the last two: one end marker per shard
        r = json.loads(data)
        if r["speed"] >= 200:
            expected.append((r["vehicle_id"], r["event_time"], r["speed"], r["rpm"], r["gear"], r["throttle"],
                             r["fuel_consumption"] * r["lap_time"]))
    client = _start_job(moto, res, parallelism=2)
    try:
        lines = _poll(lambda: read_output(moto, res, BY_VIEW["fast_laps"]), lambda v: len(v) >= len(expected))
        letters = _poll(lambda: read_output(moto, res, BY_VIEW["dead_letters"]), lambda v: len(v) >= 2)
    finally:
        client.cancel().result()
    assert fast_lap_rows(csv.reader(lines)) == sorted(expected)     # each exactly once, one per line
    assert [json.loads(x)["reason"] for x in letters] == ["heartbeat"] * 2   # the end markers only

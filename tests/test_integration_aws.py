"""Simulator -> moto Kinesis -> the job on MiniCluster with the real connector jar -> moto
Firehose/S3, DynamoDB and the alert stream. Expected values are computed here from the input.

Needs build/lib/telemetry-connectors.jar (`make jars`). Maven Central as reachable from the
project's machines has no org.apache.flink AWS connectors of the 6.0.0-2.0 line, so today these
tests are skipped with that reason instead of passing against something else.
"""
from __future__ import annotations

import csv
import json
import time

import pytest

from jobs.config import parse
from jobs.io import AwsIO
from jobs.local_aws import LocalResources, create_resources, read_bucket_lines, stream_arn
from jobs.local_run import end_marker, last_event_time, local_properties
from jobs.telemetry_job import CONNECTOR_JAR, build, configure, create_table_env
from simulator import KinesisProducer, clean_records
from tests.fixtures import line, record

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CONNECTOR_JAR.is_file(), reason=(
        f"{CONNECTOR_JAR.name} missing: org.apache.flink:flink-sql-connector-aws-kinesis-streams, "
        "-aws-kinesis-firehose and -dynamodb 6.0.0-2.0 are not on the Maven Central reachable here (HTTP 404)")),
]


def _wait_for(predicate, timeout_s=180.0, every_s=2.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    return predicate()


def test_kinesis_to_firehose_s3_exact_fast_laps(moto):
    res = LocalResources()
    create_resources(moto, res)
    records = clean_records(vehicles=3, hz=2, duration=20, seed=11)
    edge = [("edge", line(record("edge", 1.0, speed=200.0)).encode()),
            ("edge", line(record("edge", 2.0, speed=199.99)).encode()),
            ("edge", b"not json")]
    everything = records + edge
    everything.append(("end", end_marker(last_event_time(everything), 60)))
    sent = KinesisProducer(moto.client("kinesis"), stream_arn=stream_arn(moto.region, res.telemetry_stream)) \
        .send(everything)
    assert sent.sent == len(everything) and sent.failed == 0

    config = parse(local_properties(moto, res, parallelism=2))
    t_env = create_table_env(parallelism=2, jars=(CONNECTOR_JAR,))
    configure(t_env, config)
    client = build(t_env, config, AwsIO(config)).execute().get_job_client()
    try:
        expected = set()
        for _, data in records + edge[:2]:
            r = json.loads(data)
            if r["speed"] >= 200:
                expected.add((r["vehicle_id"], r["event_time"], r["speed"], r["rpm"], r["gear"], r["throttle"],
                              r["fuel_consumption"] * r["lap_time"]))
        assert ("edge", record("edge", 1.0)["event_time"], 200.0, 12000, 5, 0.5, 160.0) in expected

        def fast_laps():
            _, lines = read_bucket_lines(moto, res.processed_bucket, res.fast_laps_prefix)
            return lines if len(lines) >= len(expected) else None

        lines = _wait_for(fast_laps) or []
        got = {(r[0], r[1], float(r[2]), int(r[3]), int(r[4]), float(r[5]), float(r[6]))
               for r in csv.reader(lines)}
        assert got == expected
        assert len(lines) == len(expected)          # no duplicates, one record per line

        def dead_letters():
            _, letters = read_bucket_lines(moto, res.dead_letter_bucket, res.dead_letter_prefix)
            return letters if len(letters) >= 2 else None

        letters = [json.loads(x) for x in _wait_for(dead_letters) or []]
        assert sorted(d["reason"] for d in letters) == ["missing_field", "not_json"]   # garbage + end marker
    finally:
        client.cancel().result()

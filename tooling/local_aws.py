"""The local AWS stand-in: a moto server on loopback, owned by whoever opens it.

`MotoServer` starts moto's server (with Kinesis resharding made faithful: tooling/moto_server.py)
on 127.0.0.1 on a free port, waits until it answers and stops it
(process group and all) when the `with` block ends, whether by success, exception or Ctrl-C.
`create_resources` builds what the job talks to (streams, buckets, delivery streams, tables) from
the outputs' one declaration (jobs/outputs.py), and `LocalResources.sink_properties` gives the job
the same names, so the local run, the tests and the job cannot drift from each other.
"""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from jobs.outputs import OUTPUTS, Output

# moto accepts any credentials; these are not secrets.
ACCOUNT_ID = "123456789012"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
DEFAULT_REGION = "us-east-1"


class MotoServer:
    """A moto server process bound to 127.0.0.1. Use as a context manager."""

    def __init__(self, port: int | None = None, region: str = DEFAULT_REGION, start_timeout_s: float = 30.0):
        from jobs.telemetry_job import free_local_port

        self.port = port or free_local_port()
        self.region = region
        self.start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "MotoServer":
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                   AWS_DEFAULT_REGION=self.region)
        # start_new_session: Ctrl-C in the terminal must reach us, not moto, so that teardown
        # (not a half-dead server) decides when moto stops.
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tooling.moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited at start with code {self._proc.returncode} (port {self.port})")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.endpoint} within {self.start_timeout_s}s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).close()

    def client(self, service: str):
        import boto3  # dev dependency: only the local run and tests talk to moto

        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def stream_arn(region: str, name: str) -> str:
    # The 6.x Kinesis source matches ARNs exactly; moto's account is fixed.
    return f"arn:aws:kinesis:{region}:{ACCOUNT_ID}:stream/{name}"


@dataclass(frozen=True)
class LocalResources:
    """Everything the job reads or writes on the stand-in: the telemetry stream, and for each
    output of jobs/outputs.py one target named telemetry-<output name> (a Firehose delivery
    stream into a bucket of the same name, under <output name>/; a Kinesis stream; a table)."""

    telemetry_stream: str = "telemetry"
    telemetry_shards: int = 2
    prefix: str = "telemetry-"

    def target(self, output: Output) -> str:
        return f"{self.prefix}{output.name}"

    def s3_location(self, output: Output) -> tuple[str, str]:
        """(bucket, key prefix) where a Firehose output's objects land."""
        return self.target(output), f"{output.name}/"

    def target_value(self, output: Output, region: str) -> str:
        """The value of the output's config key (a name, or an ARN for a Kinesis stream)."""
        return stream_arn(region, self.target(output)) if output.connector == "kinesis" else self.target(output)

    def sink_properties(self, region: str) -> dict[str, dict[str, str]]:
        return {o.config_group: {o.target_option: self.target_value(o, region)} for o in OUTPUTS}


_ATTRIBUTE_TYPE = {"STRING": "S", "INT": "N", "BIGINT": "N", "DOUBLE": "N"}


def create_resources(moto: MotoServer, res: LocalResources = LocalResources()) -> None:
    kinesis, s3, firehose, ddb = (moto.client(s) for s in ("kinesis", "s3", "firehose", "dynamodb"))
    streams = {res.telemetry_stream: res.telemetry_shards,
               **{res.target(o): 1 for o in OUTPUTS if o.connector == "kinesis"}}
    for name, shards in streams.items():
        kinesis.create_stream(StreamName=name, ShardCount=shards)
    for name in streams:
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    for o in OUTPUTS:
        if o.connector == "firehose":
            bucket, prefix = res.s3_location(o)
            s3.create_bucket(Bucket=bucket)
            firehose.create_delivery_stream(
                DeliveryStreamName=res.target(o), DeliveryStreamType="DirectPut",
                ExtendedS3DestinationConfiguration={
                    "RoleARN": f"arn:aws:iam::{ACCOUNT_ID}:role/firehose-delivery",
                    "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": prefix,
                    "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}})
        elif o.connector == "dynamodb":
            types = dict(o.contract)
            ddb.create_table(
                TableName=res.target(o), BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": _ATTRIBUTE_TYPE[types[k]]} for k in o.key],
                KeySchema=[{"AttributeName": k, "KeyType": kind} for k, kind in zip(o.key, ("HASH", "RANGE"))])


def scan_table(client, table: str) -> list[dict]:
    items = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return items


def read_stream(client, arn: str) -> list[bytes]:
    """Every record of every shard, from the start."""
    out = []
    for shard in client.list_shards(StreamARN=arn)["Shards"]:
        it = client.get_shard_iterator(StreamARN=arn, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            resp = client.get_records(ShardIterator=it, StreamARN=arn, Limit=1000)
            out.extend(r["Data"] for r in resp["Records"])
            if not resp["Records"]:
                break
            it = resp.get("NextShardIterator")
    return out


def read_output(moto: MotoServer, res: LocalResources, output: Output) -> list[str]:
    """What an output holds, one text line per record: the lines Firehose delivered, the Kinesis
    records, or each DynamoDB item as JSON (plain values, sorted keys) - the replay's file shape."""
    if output.connector == "firehose":
        return read_bucket_lines(moto, *res.s3_location(output))[1]
    if output.connector == "kinesis":
        return [r.decode("utf-8") for r in read_stream(moto.client("kinesis"), res.target_value(output, moto.region))]
    return [json.dumps(plain_item(i), sort_keys=True) for i in scan_table(moto.client("dynamodb"), res.target(output))]


def plain_item(item: dict) -> dict:
    """A DynamoDB item as plain Python: Decimal numbers become int ("12") or float ("12.5")."""
    from decimal import Decimal

    from boto3.dynamodb.types import TypeDeserializer

    out = {}
    for k, v in item.items():
        v = TypeDeserializer().deserialize(v)
        if isinstance(v, Decimal):
            v = int(v) if v == v.to_integral_value() and "." not in str(v) and "E" not in str(v) else float(v)
        out[k] = v
    return out


def read_bucket_lines(moto: MotoServer, bucket: str, prefix: str = "",
                      skip: set[str] | None = None) -> tuple[int, list[str]]:
    """(object count, all non-empty lines) of every object under prefix, in key order; with
    `skip`, only of the objects not in it, which are then added to it (a poller's read so far)."""
    s3 = moto.client("s3")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if skip is None or o["Key"] not in skip)
    if skip is not None:
        skip.update(keys)
    lines: list[str] = []
    for key in sorted(keys):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if body[:2] == b"\x1f\x8b":       # GZIP records, concatenated (the raw archive)
            body = gzip.decompress(body)
        body = body.decode("utf-8")
        lines.extend(line for line in body.split("\n") if line)
    return len(keys), lines

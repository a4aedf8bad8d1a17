"""The fleet view's data layer: reads the job's outputs, and nothing else, with read-only calls.

- latest state: DynamoDB Scan of the latest-state table (one item per vehicle);
- window aggregates: DynamoDB Query per vehicle (and the fleet, `__fleet__`), newest first,
  the last N windows;
- alerts: a Kinesis consumer of its own on the alert stream (GetShardIterator per shard, then
  GetRecords), following resharding;
- dead letters: the dead-letter bucket's objects, each read once (listing resumes after the
  newest key seen; Firehose names objects by delivery time), counted by reason;
- job status and records/s in: the local MiniCluster's REST API, or on AWS
  kinesisanalyticsv2:DescribeApplication and CloudWatch (the telemetry stream's IncomingRecords).

Every call here is one the IAM policy in infra/fleet_view.tf allows.
"""
from __future__ import annotations

import gzip
import json
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path

from jobs.outputs import BY_VIEW
from udfs.telemetry import FLEET_ID

BRAKES = tuple(f"brake_temp_{c}" for c in ("front_left", "front_right", "rear_left", "rear_right"))
TIRES = tuple(f"tire_temp_{c}" for c in ("front_left", "front_right", "rear_left", "rear_right"))
# What a chart point keeps of a window item.
WINDOW_FIELDS = ("window_start", "window_end", "record_count", "avg_speed", "max_speed", "max_engine_temp")


@dataclass(frozen=True)
class Targets:
    """Where the job's outputs are. `python -m tooling.fleet_view --config FILE` reads these keys
    from a JSON file (Terraform's `fleet_view_config` output writes it)."""

    region: str
    latest_table: str
    windows_table: str
    alert_stream_arn: str
    dead_letter_bucket: str
    dead_letter_prefix: str = ""
    application: str | None = None        # MSF application name: job status on AWS
    telemetry_stream: str | None = None   # records/s in on AWS (CloudWatch IncomingRecords)
    endpoint: str | None = None           # the local stand-in (moto); None on AWS

    @classmethod
    def from_file(cls, path: Path) -> "Targets":
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ValueError(f"{path}: unknown keys {unknown}; known: {sorted(known)}")
        return cls(**doc)

    @classmethod
    def local(cls, res, region: str, endpoint: str) -> "Targets":
        """The local stand-in's names (tooling/local_aws.py LocalResources)."""
        from tooling.local_aws import stream_arn

        bucket, prefix = res.s3_location(BY_VIEW["dead_letters"])
        return cls(region=region, latest_table=res.target(BY_VIEW["latest_state"]),
                   windows_table=res.target(BY_VIEW["window_aggregates"]),
                   alert_stream_arn=stream_arn(region, res.target(BY_VIEW["alerts"])),
                   dead_letter_bucket=bucket, dead_letter_prefix=prefix,
                   telemetry_stream=res.telemetry_stream, endpoint=endpoint)

    def client(self, service: str):
        import boto3

        if self.endpoint:
            from tooling.local_aws import ACCESS_KEY, SECRET_KEY

            return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region,
                                aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        return boto3.client(service, region_name=self.region)

    def as_dict(self) -> dict:
        return asdict(self)


def plain(item: dict) -> dict:
    from tooling.local_aws import plain_item

    return plain_item(item)


def vehicle_row(item: dict) -> dict:
    """A latest-state item as one row of the fleet table."""
    i = plain(item)
    return {"vehicle_id": i["vehicle_id"], "last_event_time": i.get("last_event_time"),
            "speed": i.get("speed"), "gear": i.get("gear"), "rpm": i.get("rpm"), "engine_temp": i.get("engine_temp"),
            "brake_temp_max": _max(i, BRAKES), "tire_temp_max": _max(i, TIRES)}


def _max(item: dict, keys: tuple[str, ...]):
    values = [item[k] for k in keys if item.get(k) is not None]
    return max(values) if values else None


def window_point(item: dict) -> dict:
    i = plain(item)
    return {k: i.get(k) for k in WINDOW_FIELDS}


class Tables:
    """The two DynamoDB tables."""

    def __init__(self, targets: Targets, client=None):
        self.t = targets
        self.ddb = client or targets.client("dynamodb")

    def latest(self) -> dict[str, dict]:
        """{vehicle_id: row}, from a Scan of the latest-state table."""
        rows = {}
        for page in self.ddb.get_paginator("scan").paginate(TableName=self.t.latest_table):
            for item in page["Items"]:
                row = vehicle_row(item)
                rows[row["vehicle_id"]] = row
        return dict(sorted(rows.items()))

    def windows(self, vehicle_id: str, n: int) -> list[dict]:
        """The vehicle's (or the fleet's) last n windows, oldest first."""
        resp = self.ddb.query(TableName=self.t.windows_table, KeyConditionExpression="vehicle_id = :v",
                              ExpressionAttributeValues={":v": {"S": vehicle_id}}, ScanIndexForward=False, Limit=n)
        return [window_point(i) for i in reversed(resp["Items"])]

    def newest_fleet_window(self) -> str | None:
        """window_start of the fleet's newest window: one small Query tells whether windows closed."""
        got = self.windows(FLEET_ID, 1)
        return got[0]["window_start"] if got else None


class AlertReader:
    """A consumer of the alert stream of its own: one shard iterator per shard, from
    TRIM_HORIZON (what the stream still holds) or LATEST (only what arrives from now on)."""

    def __init__(self, targets: Targets, start: str = "TRIM_HORIZON", client=None, relist_s: float = 30.0):
        if start not in ("TRIM_HORIZON", "LATEST"):
            raise ValueError(f"start must be TRIM_HORIZON or LATEST, not {start}")
        self.arn, self.start, self.relist_s = targets.alert_stream_arn, start, relist_s
        self.kinesis = client or targets.client("kinesis")
        self.iterators: dict[str, str | None] = {}    # shard id -> iterator (None: closed and read to its end)
        self.last_seq: dict[str, str] = {}
        self.bad_records = 0
        self._listed_at = float("-inf")

    def _list_shards(self) -> None:
        shards, token = [], None
        while True:
            kw = {"NextToken": token} if token else {"StreamARN": self.arn}
            resp = self.kinesis.list_shards(**kw)
            shards.extend(resp["Shards"])
            token = resp.get("NextToken")
            if not token:
                break
        first = not self.iterators and self._listed_at == float("-inf")
        for s in shards:
            sid = s["ShardId"]
            if sid in self.iterators:
                continue
            # Shards that appear later (resharding) are read from their start.
            kind = self.start if first else "TRIM_HORIZON"
            self.iterators[sid] = self.kinesis.get_shard_iterator(
                StreamARN=self.arn, ShardId=sid, ShardIteratorType=kind)["ShardIterator"]
        self._listed_at = time.monotonic()

    def poll(self) -> list[dict]:
        """The alerts that arrived since the last poll, in shard order (each shard in order), each
        with `arrived_at` (epoch seconds the stream took it) added."""
        if time.monotonic() - self._listed_at > self.relist_s:
            self._list_shards()
        out: list[dict] = []
        for sid, it in list(self.iterators.items()):
            while it:
                try:
                    resp = self.kinesis.get_records(ShardIterator=it, StreamARN=self.arn, Limit=1000)
                except self.kinesis.exceptions.ExpiredIteratorException:
                    it = self._reopen(sid)
                    continue
                for r in resp["Records"]:
                    self.last_seq[sid] = r["SequenceNumber"]
                    try:
                        alert = json.loads(r["Data"])
                    except ValueError:
                        self.bad_records += 1
                        continue
                    if isinstance(alert, dict):
                        # When Kinesis took it: the page shows stream-to-page latency from it.
                        arrived = r.get("ApproximateArrivalTimestamp")
                        out.append({**alert, "arrived_at": arrived.timestamp() if arrived else None})
                    else:
                        self.bad_records += 1
                it = resp.get("NextShardIterator")
                if not resp["Records"] or not resp.get("MillisBehindLatest", 0):
                    break
            self.iterators[sid] = it
        return out

    def _reopen(self, sid: str) -> str:
        if sid in self.last_seq:
            return self.kinesis.get_shard_iterator(StreamARN=self.arn, ShardId=sid,
                                                   ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                                   StartingSequenceNumber=self.last_seq[sid])["ShardIterator"]
        return self.kinesis.get_shard_iterator(StreamARN=self.arn, ShardId=sid,
                                               ShardIteratorType=self.start)["ShardIterator"]


class DeadLetterCounter:
    """Dead letters by reason, from the dead-letter bucket: each object is read once; the listing
    resumes after the newest key seen (Firehose names objects by delivery time, so new objects
    sort after old ones). Objects may be GZIP (the Firehose compression option)."""

    def __init__(self, targets: Targets, client=None):
        self.bucket, self.prefix = targets.dead_letter_bucket, targets.dead_letter_prefix
        self.s3 = client or targets.client("s3")
        self.by_reason: Counter = Counter()
        self.objects = 0
        self.last_key = ""

    def poll(self) -> Counter:
        kw = {"Bucket": self.bucket, "Prefix": self.prefix}
        if self.last_key:
            kw["StartAfter"] = self.last_key
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(**kw):
            keys.extend(o["Key"] for o in page.get("Contents", []))
        for key in sorted(keys):
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            for line in body.decode("utf-8", "replace").split("\n"):
                if not line.strip():
                    continue
                try:
                    reason = json.loads(line).get("reason", "unknown")
                except (ValueError, AttributeError):
                    reason = "unreadable"
                self.by_reason[str(reason)] += 1
            self.objects += 1
            self.last_key = max(self.last_key, key)
        return self.by_reason


class LocalJobStatus:
    """The local MiniCluster's REST API: the job's state, and records/s from the job's own read
    counter (tooling/job_metrics.py)."""

    def __init__(self, rest: str, over_s: float = 10.0):
        self.rest, self.over_s = rest, over_s
        # (when, read) samples: the Python workers report their counters per bundle, so the rate
        # is taken over the last over_s seconds, not between two samples.
        self._samples: deque[tuple[float, int]] = deque()

    def __call__(self) -> dict:
        from tooling.job_metrics import counters, rest_get

        jobs = rest_get(f"{self.rest}/jobs/overview")["jobs"]
        if not jobs:
            return {"state": "NO JOB", "records_per_s": None}
        job = max(jobs, key=lambda j: (j["state"] == "RUNNING", j["start-time"]))
        out = {"state": job["state"], "records_per_s": None, "read": None}
        if job["state"] == "RUNNING":
            read, now = counters(self.rest, job["jid"])["read"], time.monotonic()
            out["read"] = read
            self._samples.append((now, read))
            while len(self._samples) > 2 and now - self._samples[1][0] >= self.over_s:
                self._samples.popleft()
            t0, r0 = self._samples[0]
            if now > t0:
                out["records_per_s"] = round(max(0, read - r0) / (now - t0), 1)
        return out


class AwsJobStatus:
    """Managed Flink: the application's status (DescribeApplication) and records/s into the
    telemetry stream (CloudWatch AWS/Kinesis IncomingRecords, the newest whole minute)."""

    def __init__(self, targets: Targets, msf=None, cloudwatch=None):
        self.t = targets
        self.msf = msf or targets.client("kinesisanalyticsv2")
        self.cw = cloudwatch or targets.client("cloudwatch")

    def __call__(self) -> dict:
        out = {"state": "UNKNOWN", "records_per_s": None}
        if self.t.application:
            detail = self.msf.describe_application(ApplicationName=self.t.application)["ApplicationDetail"]
            out["state"] = detail["ApplicationStatus"]
        if self.t.telemetry_stream:
            end = datetime.now(timezone.utc).replace(second=0, microsecond=0)
            resp = self.cw.get_metric_data(
                MetricDataQueries=[{"Id": "incoming", "ReturnData": True, "MetricStat": {
                    "Metric": {"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords",
                               "Dimensions": [{"Name": "StreamName", "Value": self.t.telemetry_stream}]},
                    "Period": 60, "Stat": "Sum"}}],
                StartTime=end - timedelta(minutes=5), EndTime=end, ScanBy="TimestampDescending")
            values = resp["MetricDataResults"][0]["Values"] if resp["MetricDataResults"] else []
            if values:
                out["records_per_s"] = round(values[0] / 60, 1)
        return out

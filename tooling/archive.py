"""Reading the raw archive (sql/35_output_raw_archive.sql) back: the records of an arrival-time
range, each once, in the order their shards delivered them; what the replay feeds the job.

Where: `s3://bucket/prefix` (boto3's usual credentials; AWS_ENDPOINT_URL for the local stand-in),
a folder of downloaded objects, or one object. Objects are JSON lines, GZIP-compressed as Firehose
writes them on AWS or plain (the local stand-in does not compress); Firehose files them under
<prefix>dt=YYYY-MM-dd/hour=HH/ by delivery hour, a few seconds after arrival normally, later after a
backlog. A range therefore lists the hour folders from its start through its end plus `lag_hours`
and keeps the lines whose own arrival_time is in the range; a layout without hour folders is
listed whole.

A record archived twice (read again after a restart) has the same shard_id and sequence_number:
it is kept once. Records are in sequence-number order within a shard, and the shards are
interleaved by how far each has got in event time (`_progress`), so the replay's one watermark
judges each record as its own shard's watermark did live.
"""
from __future__ import annotations

import base64
import gzip
import heapq
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tooling.file_io import Record
from udfs.telemetry import event_ms

# infra/modules/firehose_s3: <prefix>dt=YYYY-MM-dd/hour=HH/, Firehose's delivery hour (UTC).
_HOUR_FOLDER = re.compile(r"(?:^|/)dt=\d{4}-\d{2}-\d{2}/hour=\d{2}/")
ARCHIVE_KEYS = frozenset({"arrival_time", "shard_id", "sequence_number", "data"})


class ArchiveError(ValueError):
    pass


def parse_hour(text: str, what: str) -> datetime:
    """'2026-11-23T12' (or a full ISO time, cut to its hour) -> that UTC hour."""
    try:
        t = datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        raise ArchiveError(f"{what} {text!r}: expected an hour like 2026-11-23T12 (UTC)") from None
    return (t.astimezone(timezone.utc) if t.tzinfo else t.replace(tzinfo=timezone.utc)).replace(
        minute=0, second=0, microsecond=0)


def _ms(arrival_time: str) -> int:
    t = datetime.strptime(arrival_time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return int(t.timestamp() * 1000 + 0.5)


def _hours(start: datetime, end: datetime) -> list[str]:
    out, t = [], start
    while t < end:
        out.append(t.strftime("dt=%Y-%m-%d/hour=%H/"))
        t += timedelta(hours=1)
    return out


def _decode(blob: bytes) -> str:
    return (gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob).decode("utf-8")


def _s3_objects(url: str, hours: list[str] | None, s3=None) -> Iterator[tuple[str, bytes]]:
    if s3 is None:
        import boto3  # the replay's dependency only, not the job's

        s3 = boto3.client("s3")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    pages = s3.get_paginator("list_objects_v2")

    def keys(p: str) -> list[str]:
        return [o["Key"] for page in pages.paginate(Bucket=bucket, Prefix=p) for o in page.get("Contents", [])]

    found = [k for h in hours for k in keys(prefix + h)] if hours else []
    if not found:
        found = keys(prefix)
        if hours and any(_HOUR_FOLDER.search(k[len(prefix):]) for k in found):
            found = []          # laid out by hour, and none of the range's hours has an object
    for key in sorted(found):
        yield f"s3://{bucket}/{key}", s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _local_objects(path: Path, hours: list[str] | None) -> Iterator[tuple[str, bytes]]:
    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if hours:
        in_range = [p for p in files if any(h in p.as_posix() + "/" for h in hours)]
        if in_range or any(_HOUR_FOLDER.search(p.as_posix()) for p in files):
            files = in_range
    for p in files:
        yield str(p), p.read_bytes()


def is_archive(source: str) -> bool:
    """An S3 URL or a folder is read as an archive; a file when its first line is an archive line."""
    if source.startswith("s3://"):
        return True
    path = Path(source)
    if path.is_dir():
        return True
    try:
        with path.open("rb") as f:
            gzipped = f.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if gzipped else path.open("rb")) as f:
            first = f.readline(1 << 20)
        return isinstance(obj := json.loads(first), dict) and ARCHIVE_KEYS <= obj.keys()
    except (OSError, EOFError, ValueError):
        return False


def read(source: str, start: datetime | None = None, end: datetime | None = None,
         lag_hours: int = 1, s3=None, max_future_skew_ms: int = 120_000) -> tuple[list[Record], dict]:
    """The archived records with start <= arrival_time < end (either open), and what was read:
    {'objects', 'lines', 'copies_dropped', 'out_of_range'}. s3: a boto3 S3 client (default: one
    from the environment). max_future_skew_ms: job.max-future-skew.s, in ms (what moves a
    shard's watermark, see _progress)."""
    hours = _hours(start, end + timedelta(hours=lag_hours)) if start and end else None
    if source.startswith("s3://"):
        objects: Iterable[tuple[str, bytes]] = _s3_objects(source, hours, s3)
    else:
        path = Path(source)
        if not path.exists():
            raise ArchiveError(f"archive {source} does not exist")
        objects = _local_objects(path, hours)
    lo = int(start.timestamp() * 1000) if start else None
    hi = int(end.timestamp() * 1000) if end else None
    shards: dict[str, dict[int, Record]] = {}
    stats = {"objects": 0, "lines": 0, "copies_dropped": 0, "out_of_range": 0}
    for name, blob in objects:
        stats["objects"] += 1
        for n, line in enumerate(_decode(blob).split("\n"), 1):
            if not line:
                continue
            try:
                obj = json.loads(line)
                arrival = _ms(obj["arrival_time"])
                shard, seq = obj["shard_id"], obj["sequence_number"]
                payload = base64.b64decode(obj["data_base64"]) if "data_base64" in obj else obj["data"].encode()
            except (ValueError, KeyError, TypeError) as e:
                raise ArchiveError(f"{name} line {n}: not an archive line ({e})") from None
            stats["lines"] += 1
            if (lo is not None and arrival < lo) or (hi is not None and arrival >= hi):
                stats["out_of_range"] += 1
                continue
            seen = shards.setdefault(shard, {})
            key = int(seq) if seq.isdigit() else len(seen)
            if key in seen:
                stats["copies_dropped"] += 1
                continue
            seen[key] = Record(payload, shard, arrival, seq)
    per_shard = [_progress([r for _, r in sorted(records.items())], max_future_skew_ms)
                 for _, records in sorted(shards.items())]
    merged = [r for _, r in heapq.merge(*per_shard, key=lambda keyed: keyed[0])]
    return merged, stats


def _progress(shard: list[Record], max_future_skew_ms: int) -> list[tuple[int, Record]]:
    """Each record of a shard with the newest event time its shard had reached with it (counting,
    as the source does, only records whose event time can move a watermark: readable, and not
    more than max_future_skew_ms ahead of their arrival): a key that
    never decreases along the shard. Merging the shards on it keeps each shard's order and gives
    every record the late verdict it had live, where each shard had its own watermark: before a
    record, only records from no further on (in event time) than its own shard come out, so it is
    behind the replay's one watermark exactly when it was behind its shard's (arrival order
    across shards would make a shard read ahead of another look late)."""
    newest, keyed = -1, []
    for r in shard:
        t = event_ms(r.payload.decode("utf-8", "replace"))
        if t is not None and not (r.arrival_ms and t - r.arrival_ms > max_future_skew_ms):
            newest = max(newest, t)
        keyed.append((newest, r))
    return keyed

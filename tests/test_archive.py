"""Reading the raw archive back (tooling/archive.py): layouts, hour ranges, copies, exact bytes and
the order the replay needs. Pure Python on files written here."""
from __future__ import annotations

import base64
import gzip
import json
import random
from datetime import datetime, timezone

import pytest

from tests.fixtures import T0, line, record
from tooling import archive

pytestmark = pytest.mark.unit


def _line(payload: bytes, shard: str, seq: int, arrival: str) -> str:
    obj = {"arrival_time": arrival, "shard_id": shard, "sequence_number": str(seq)}
    try:
        obj["data"] = payload.decode("utf-8")
    except UnicodeDecodeError:
        obj["data"] = payload.decode("utf-8", "replace")
        obj["data_base64"] = base64.b64encode(payload).decode()
    return json.dumps(obj)


def _reading(vehicle: str, seconds: float) -> bytes:
    return line(record(vehicle, seconds)).encode()


def _write(path, lines: list[str], compress: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(x + "\n" for x in lines).encode()
    path.write_bytes(gzip.compress(data) if compress else data)


def test_firehose_layout_hour_range_lag_and_gzip_members(tmp_path):
    """Objects by delivery hour (dt=/hour=), GZIP, one of them two concatenated members as the
    job's packed records make them; --from/--to select by each line's own arrival time, and the
    range's next hour is listed too (filed late)."""
    a, b, c = _reading("a", 1), _reading("b", 2), _reading("c", 3)
    root = tmp_path / "raw-archive"
    _write(root / "dt=2026-11-23/hour=11/x.jsonl.gz", [_line(a, "s0", 1, "2026-11-23T11:59:59.990Z")], True)
    member1 = gzip.compress((_line(b, "s0", 2, "2026-11-23T12:00:00.010Z") + "\n").encode())
    member2 = gzip.compress((_line(c, "s0", 3, "2026-11-23T12:59:59.999Z") + "\n").encode())
    (root / "dt=2026-11-23/hour=13").mkdir(parents=True)
    (root / "dt=2026-11-23/hour=13/y.jsonl.gz").write_bytes(member1 + member2)    # delivered an hour late
    _write(root / "dt=2026-11-23/hour=15/z.jsonl.gz", [_line(a, "s0", 9, "2026-11-23T13:00:00.000Z")], True)

    start = archive.parse_hour("2026-11-23T12", "--from")
    end = archive.parse_hour("2026-11-23T13", "--to")
    records, seen = archive.read(str(root), start, end)
    assert [r.payload for r in records] == [b, c]
    assert (seen["objects"], seen["lines"], seen["out_of_range"]) == (1, 2, 0)
    records, seen = archive.read(str(root), start, end, lag_hours=0)
    assert records == [] and seen["objects"] == 0
    records, seen = archive.read(str(root))
    assert [r.payload for r in records] == [a, b, c, a] and seen["objects"] == 3


def test_copies_are_kept_once_and_bytes_are_exact(tmp_path):
    """A record archived twice (a restart) is one record; bytes that are not UTF-8 come back
    exactly from data_base64."""
    garbage = b"\xff\xfe\x00 not UTF-8"
    r1 = _line(_reading("a", 1), "s0", 10, "2026-11-23T12:00:01.000Z")
    r2 = _line(garbage, "s0", 11, "2026-11-23T12:00:02.000Z")
    _write(tmp_path / "one.jsonl", [r1, r2, r1, r2])
    records, seen = archive.read(str(tmp_path / "one.jsonl"))
    assert [r.payload for r in records] == [_reading("a", 1), garbage]
    assert seen["copies_dropped"] == 2
    assert records[0].arrival_ms == int(datetime(2026, 11, 23, 12, 0, 1, tzinfo=timezone.utc).timestamp() * 1000)


def test_shards_interleave_by_their_progress_in_event_time(tmp_path):
    """Shard s1 delivered (arrived) long after s0 but covers the same event times: merged by
    arrival, s1's readings would all sit behind s0's newest and look late in one split. Merged by
    each shard's progress, each shard keeps its order and nothing is behind another shard by more
    than its own shard was; a reading far in the future (ahead of its arrival by more than the
    allowed skew) does not move its shard on, as it moves no watermark live."""
    arrival = (T0.timestamp() + 3600) * 1000
    stamp = lambda ms: datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # noqa: E731
    s0 = [_line(_reading("v0", t), "s0", n, stamp(arrival + n)) for n, t in enumerate([0, 10, 20, 30])]
    future = _line(_reading("v1", 10**6), "s1", 0, stamp(arrival + 1000))
    s1 = [future] + [_line(_reading("v1", t), "s1", n, stamp(arrival + 1000 + n)) for n, t in
                     enumerate([1, 11, 12, 31], start=1)]
    _write(tmp_path / "a.jsonl", s0 + s1)
    records, _ = archive.read(str(tmp_path / "a.jsonl"))
    order = [(r.shard_id, int(r.sequence_number)) for r in records]
    # s1's future reading has moved nothing yet: it goes first.
    assert order == [("s1", 0), ("s0", 0), ("s1", 1), ("s0", 1), ("s1", 2), ("s1", 3), ("s0", 2), ("s0", 3), ("s1", 4)]


def test_an_unreadable_line_names_the_object_and_line(tmp_path):
    _write(tmp_path / "bad.jsonl", [_line(_reading("a", 1), "s0", 1, "2026-11-23T12:00:01.000Z"), "{\"x\": 1}"])
    with pytest.raises(archive.ArchiveError, match=r"bad.jsonl line 2: not an archive line"):
        archive.read(str(tmp_path / "bad.jsonl"))


def test_what_is_read_as_an_archive(tmp_path):
    _write(tmp_path / "a.jsonl", [_line(_reading("a", 1), "s0", 1, "2026-11-23T12:00:01.000Z")])
    _write(tmp_path / "capture.jsonl", [line(record("a", 1))])
    assert archive.is_archive(str(tmp_path / "a.jsonl")) and archive.is_archive(str(tmp_path))
    assert archive.is_archive("s3://bucket/raw-archive/")
    assert not archive.is_archive(str(tmp_path / "capture.jsonl"))
    assert not archive.is_archive(str(tmp_path / "missing.jsonl"))
    with pytest.raises(archive.ArchiveError, match="expected an hour like"):
        archive.parse_hour("noon", "--from")


def test_a_large_gzip_object_without_a_gz_name_is_still_an_archive(tmp_path):
    """Read as a stream, not cut at 1 MiB: a cut GZIP stream would not decompress."""
    noise = random.Random(1)
    lines = [_line(b"\xff" + noise.randbytes(1000), "s0", n, "2026-11-23T12:00:01.000Z") for n in range(3000)]
    (tmp_path / "object").write_bytes(gzip.compress("".join(x + "\n" for x in lines).encode()))
    assert (tmp_path / "object").stat().st_size > 1 << 21
    assert archive.is_archive(str(tmp_path / "object"))

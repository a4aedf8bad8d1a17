"""The replay's IO: a JSON-lines file in, one folder per output; for replays and SQL tests.

It stands in for jobs/io.py's `AwsIO` (same interface: source, sink_options, line_suffix,
partitioned) and writes the same source lines the Kinesis deserializer does, in Python.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from jobs.config import Config
from jobs.outputs import Output
from udfs.telemetry import event_ms, event_ms_and_vehicle


def source_line(payload: bytes, origin: bytes, clock: int, newest: list[int], out_of_orderness_ms: int,
                max_future_skew_ms: int) -> bytes:
    """The replay's copy of TelemetryWatermarks.line (Java), for one line of a file: the same
    verdicts, so a replay and the live job agree (the shared scenario test holds them to it)."""
    return _source_line(payload, origin, event_ms(payload.decode("utf-8", "replace")), clock, newest,
                        out_of_orderness_ms, max_future_skew_ms)


def origin(shard_id: str, arrival_ms: int, sequence_number: str, raw: bytes | None = None) -> bytes:
    """TelemetryWatermarks.origin (Java): where a record came from, for the raw archive."""
    head = f"{shard_id} {arrival_ms} {sequence_number}".encode()
    return head + b" " + base64.b64encode(raw) if raw is not None else head


@dataclass(frozen=True)
class Record:
    """One record to replay: its bytes and, from an archive, where it came from (else the file)."""
    payload: bytes
    shard_id: str = "file"
    arrival_ms: int | None = None      # None: estimated from the records around it (FileIO.prepare)
    sequence_number: str = ""


def _vehicle_id(line: bytes) -> str | None:
    try:
        vehicle = json.loads(line).get("vehicle_id")
    except (ValueError, AttributeError, RecursionError):
        return None
    return vehicle if isinstance(vehicle, str) else None


def _source_line(payload: bytes, origin: bytes, t: int | None, clock: int, newest: list[int],
                 out_of_orderness_ms: int, max_future_skew_ms: int) -> bytes:
    verdict, ms = b"-", 0
    if t is not None:
        if clock > 0 and t - clock > max_future_skew_ms:
            verdict = b"F"
        else:
            ms = t if t != 0 else 1
            if newest[0] is not None and ms <= newest[0] - out_of_orderness_ms:
                verdict = b"L"
            elif newest[0] is None or ms > newest[0]:
                newest[0] = ms
    return b"%d\t%s\t%s\t%s" % (ms, verdict, origin, payload)


class FileIO:
    """A JSON-lines file in; one folder per output. For replays and SQL tests."""

    # The filesystem sink ends every record with a newline itself.
    line_suffix = None
    # Partitioning a filesystem sink would move key columns into directory names.
    partitioned = False

    def __init__(self, input_path: str | Path | None, output_dir: str | Path, keep_running: bool = False,
                 records: list[Record] | None = None, splits: int = 1):
        """keep_running: the source keeps watching the file after reading it, so the job runs
        until stopped (a savepoint needs a running job); otherwise the job ends with the file.
        records: what to replay, instead of a JSON-lines file (the raw archive's records).
        splits: deal the records into this many splits by vehicle, as a stream with that many
        shards would (see prepare); at most job.parallelism, since the file source reads one
        split at a time per subtask and a split read after another would be all late."""
        if splits < 1:
            raise ValueError(f"splits must be at least 1, got {splits}")
        self.splits = splits
        self.keep_running = keep_running
        self.input_path = Path(input_path).resolve() if input_path is not None else None
        self.records = records
        self.prepared_path: Path | None = None
        self.output_dir = Path(output_dir).resolve()

    def prepare(self, config: Config, work_dir: Path, followers: int = 20) -> Path:
        """Copy the input as source lines (`source_line`): one split (unless `splits`), in file order.

        Records from the raw archive carry their arrival time, the stream's clock. For a captured
        file, the stream's clock stands in for the arrival time a replayed record no longer has: the median
        event time of the next `followers` valid records (at the end of the file, the last
        ones). A record with a wrong clock is judged against the records around it, and the first
        record after a quiet spell is not, since its followers came after the same spell. Lines
        are cut at '\n' only; a carriage return inside a line becomes a space (the line reader
        would split there), one before the '\n' is dropped; so does a newline inside an archived
        record.

        With splits > 1 the records are dealt into that many files in a folder, each vehicle's
        to one (vehicles in order of first appearance, round robin: shards of even load; a
        record without a readable vehicle_id to the first), each file judged on its own like a
        shard: its own clock from its own followers, its own newest event time.
        """
        records = self.records
        if records is None:
            lines = self.input_path.read_bytes().split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            records = [Record(line.removesuffix(b"\r"), sequence_number=str(n)) for n, line in enumerate(lines, 1)]
        # The file reader splits lines at '\n' and '\r'.
        lines = [r.payload.replace(b"\r", b" ").replace(b"\n", b" ") for r in records]
        stamped = [event_ms_and_vehicle(line.decode("utf-8", "replace")) for line in lines]
        times = [t for t, _ in stamped]
        work_dir.mkdir(parents=True, exist_ok=True)
        if self.splits == 1:
            self.prepared_path = work_dir / "source-lines.txt"
            self._write(self.prepared_path, config, records, lines, times, followers)
            return self.prepared_path
        dealt: list[list[int]] = [[] for _ in range(self.splits)]
        vehicles: dict[str, int] = {}
        for i, line in enumerate(lines):
            # A valid reading's vehicle came with its event time; only the others are parsed again.
            vehicle = stamped[i][1] or _vehicle_id(line)
            split = 0 if vehicle is None else vehicles.setdefault(vehicle, len(vehicles) % self.splits)
            dealt[split].append(i)
        self.prepared_path = work_dir / "source-splits"
        self.prepared_path.mkdir(exist_ok=True)
        for n, indexes in enumerate(dealt):
            self._write(self.prepared_path / f"split-{n}.txt", config, [records[i] for i in indexes],
                        [lines[i] for i in indexes], [times[i] for i in indexes], followers)
        return self.prepared_path

    @staticmethod
    def _write(path: Path, config: Config, records: list[Record], lines: list[bytes], times: list[int | None],
               followers: int) -> None:
        """One split's source lines, in order, judged against its own records only."""
        valid = [(i, t) for i, t in enumerate(times) if t is not None]
        clocks = [r.arrival_ms or 0 for r in records]
        for pos, (i, _) in enumerate(valid):
            if records[i].arrival_ms is not None:
                continue
            window = [t for _, t in valid[pos + 1:pos + 1 + followers]]
            if len(window) < followers // 2:
                window = [t for _, t in valid[max(0, pos - followers):pos]] + window
            clocks[i] = sorted(window)[len(window) // 2] if window else 0
        job = config["job"]
        delay, skew, newest = job["watermark.out-of-orderness.ms"], job["max-future-skew.s"] * 1000, [None]
        with path.open("wb") as f:
            for t, clock, line, r in zip(times, clocks, lines, records):
                raw = r.payload if line.decode("utf-8", "replace").encode() != r.payload else None
                f.write(_source_line(line, origin(r.shard_id, clock, r.sequence_number, raw), t, clock, newest,
                                     delay, skew) + b"\n")

    def source(self, config: Config):
        from pyflink.datastream.connectors.file_system import FileSource, StreamFormat

        parallelism = config.get("job", "parallelism") or 1
        if self.splits > parallelism:
            raise ValueError(f"{self.splits} splits need job.parallelism >= {self.splits} (is {parallelism}): "
                             "a subtask reads its splits one after another")
        if self.prepared_path is None:
            self.prepare(config, self.output_dir)
        builder = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(self.prepared_path))
        if self.keep_running:
            from pyflink.common import Duration

            builder = builder.monitor_continuously(Duration.of_seconds(1))
        return builder.build()

    def per_split(self, stream, config: Config):
        """Nothing to add: prepare() wrote the verdicts (the file is read once, never restored)."""
        return stream

    def sink_options(self, output: Output) -> dict[str, str]:
        # The latest state is an upsert stream; a changelog format keeps every change so the
        # replay can fold it into the final state per vehicle.
        fmt = "raw" if output.lines else ("debezium-json" if output.changelog else "json")
        return {"connector": "filesystem", "path": str(self.output_dir / output.view), "format": fmt}

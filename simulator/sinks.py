"""Where records go: a JSON-lines file, or a Kinesis stream through PutRecords."""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .fleet import partition_key

Record = tuple[str, bytes]  # (partition key, payload)

MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024  # Kinesis counts data plus partition key against both limits
THROTTLED = "ProvisionedThroughputExceededException"
_RETRYABLE_REQUEST_ERRORS = {THROTTLED, "LimitExceededException", "InternalFailure", "ServiceUnavailable",
                             "KMSThrottlingException", "ThrottlingException"}


def paced(records: Iterable[Record], rate: float, clock=time.monotonic, sleep=time.sleep) -> Iterator[Record]:
    """Yield records no faster than `rate` per second (0 = as fast as possible), without drift."""
    if rate <= 0:
        yield from records
        return
    start = clock()
    for i, record in enumerate(records):
        ahead = start + i / rate - clock()
        if ahead > 0:
            sleep(ahead)
        yield record


def write_jsonl(records: Iterable[Record], path: str, rate: float = 0.0,
                progress: Callable[[int], None] | None = None) -> int:
    """Write one payload per line; returns the number written."""
    n = 0
    with open(path, "wb") as f:
        for n, (_, data) in enumerate(paced(records, rate), 1):
            if b"\n" in data:  # it would split into two records on replay
                raise ValueError(f"record {n - 1} contains a newline and cannot be one JSON line")
            f.write(data + b"\n")
            if progress and not n & 1023:
                progress(n)
    return n


def read_jsonl(path: str) -> Iterator[Record]:
    """Replay a file written by write_jsonl as (partition key, payload), keys derived as generated."""
    with open(path, "rb") as f:
        for line in f:
            data = line[:-1] if line.endswith(b"\n") else line
            yield partition_key(data), data


def write_manifest(entries: Iterable[dict], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(e) + "\n" for e in entries)


@dataclass
class SendSummary:
    """Every record offered ends up in exactly one of `sent` or `failed`."""

    sent: int = 0
    failed: int = 0
    retried: int = 0  # re-sends of records after a failed attempt
    throttled: int = 0  # ProvisionedThroughputExceededException answers (entries or whole requests)
    requests: int = 0
    failures: list = field(default_factory=list)  # (partition key, error code, message) of each failed record

    def __str__(self):
        return (f"sent={self.sent} failed={self.failed} retried={self.retried} throttled={self.throttled} "
                f"requests={self.requests}")


class KinesisProducer:
    """Sends records with PutRecords within the service limits, retrying only what failed.

    `client` is a boto3 Kinesis client; give `stream_name` or `stream_arn`. Failed entries of a
    batch are resent (exponential backoff with full jitter, at most `max_attempts` tries each)
    before the next batch goes out, so a record is never overtaken by much. Records over 1 MiB
    are reported as failed without being sent. The client's own retries (botocore retries
    throttled requests by default) happen beneath this and are not counted.
    """

    def __init__(self, client, stream_name: str | None = None, stream_arn: str | None = None, *,
                 max_attempts: int = 8, backoff_s: float = 0.05, max_backoff_s: float = 2.0,
                 linger_s: float = 0.2, rng: random.Random | None = None, sleep=time.sleep, clock=time.monotonic):
        if (stream_name is None) == (stream_arn is None):
            raise ValueError("give exactly one of stream_name or stream_arn")
        if max_attempts < 1:
            raise ValueError("max_attempts counts the first try too: at least 1")
        self.client = client
        self.target = {"StreamARN": stream_arn} if stream_arn else {"StreamName": stream_name}
        self.max_attempts, self.backoff_s, self.max_backoff_s = max_attempts, backoff_s, max_backoff_s
        self.linger_s = linger_s
        self.rng, self.sleep, self.clock = rng or random.Random(), sleep, clock

    def send(self, records: Iterable[Record], rate: float = 0.0,
             progress: Callable[[SendSummary], None] | None = None) -> SendSummary:
        summary = SendSummary()
        # at a paced rate, a batch holds at most linger_s worth of records, so none waits longer
        limit = MAX_BATCH_RECORDS if rate <= 0 else max(1, min(MAX_BATCH_RECORDS, int(rate * self.linger_s)))
        batch, size = [], 0
        for key, data in paced(records, rate, self.clock, self.sleep):
            n = len(data) + len(key.encode())
            if n > MAX_RECORD_BYTES:
                summary.failed += 1
                summary.failures.append((key, "RecordTooLarge", f"{n} bytes > {MAX_RECORD_BYTES}"))
                continue
            if size + n > MAX_BATCH_BYTES:
                self._put(batch, summary, progress)
                batch, size = [], 0
            batch.append({"Data": data, "PartitionKey": key})
            size += n
            if len(batch) == limit:
                self._put(batch, summary, progress)
                batch, size = [], 0
        if batch:
            self._put(batch, summary, progress)
        return summary

    def _put(self, entries: list[dict], summary: SendSummary, progress) -> None:
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                summary.retried += len(entries)
                self.sleep(self.rng.uniform(0, min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))))
            summary.requests += 1
            try:
                response = self.client.put_records(Records=entries, **self.target)
            except Exception as e:  # botocore ClientError; anything else is not ours to retry
                code = (getattr(e, "response", None) or {}).get("Error", {}).get("Code")
                if code not in _RETRYABLE_REQUEST_ERRORS:
                    raise
                summary.throttled += code == THROTTLED
                last = [(entry, code, str(e)) for entry in entries]
                continue
            last = []
            for entry, result in zip(entries, response["Records"]):
                code = result.get("ErrorCode")
                if code:
                    summary.throttled += code == THROTTLED
                    last.append((entry, code, result.get("ErrorMessage", "")))
            summary.sent += len(entries) - len(last)
            entries = [entry for entry, _, _ in last]
            if not entries:
                break
        summary.failed += len(last)
        summary.failures += [(entry["PartitionKey"], code, message) for entry, code, message in last]
        if progress:
            progress(summary)

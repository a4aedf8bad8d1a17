"""The job's own counters, read from a local MiniCluster's REST API while the job runs.

On Managed Flink the same counters (udfs/flink.py, group `kinesisanalytics`) go to CloudWatch;
locally the run summary and the tests read them here and check them against the outputs.
"""
from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from collections import Counter

from udfs.flink import METRIC_GROUP, RECORDS_REJECTED

# The source's own output counter (the source is named "telemetry" in jobs/io.py).
_SOURCE_RECORDS = re.compile(r"Source__telemetry[^.]*\.numRecordsOut")


def rest_get(url: str):
    """GET a JSON document from the local MiniCluster's REST API."""
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def counters(rest: str, job_id: str) -> Counter:
    """{'read': n, <reason>: n, ...} summed over operators and subtasks (absent: 0)."""
    out: Counter = Counter()
    for vertex in rest_get(f"{rest}/jobs/{job_id}")["vertices"]:
        base = f"{rest}/jobs/{job_id}/vertices/{vertex['id']}/subtasks/metrics"
        ids = [m["id"] for m in rest_get(base) if f".{METRIC_GROUP}." in m["id"] or _SOURCE_RECORDS.fullmatch(m["id"])]
        if not ids:
            continue
        for m in rest_get(f"{base}?agg=sum&get={urllib.parse.quote(','.join(ids))}"):
            if _SOURCE_RECORDS.fullmatch(m["id"]):
                out["read"] += int(m["sum"])
                continue
            name = m["id"].split(f".{METRIC_GROUP}.", 1)[1]
            if name.startswith("Reason.") and name.endswith("." + RECORDS_REJECTED):
                out[name.split(".")[1]] += int(m["sum"])
    return out


def wait_for_counters(rest: str, job_id: str, read: int, rejected: int, timeout_s: float = 30.0) -> Counter:
    """counters() once they count `read` records and `rejected` rejections (Python workers report
    per bundle and the REST API caches metrics for metrics.fetcher.update-interval), or the last
    seen at the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen = counters(rest, job_id)
        if (seen["read"] >= read and sum(seen.values()) - seen["read"] >= rejected) or time.monotonic() > deadline:
            return seen
        time.sleep(1)

"""The job's own counters, read from a local MiniCluster's REST API while the job runs.

On Managed Flink the same counters (udfs/flink.py, group `kinesisanalytics`) go to CloudWatch;
locally the run summary and the tests read them here and check them against the outputs.
"""
from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections import Counter

from udfs.metric_names import ALERTS, METRIC_GROUP, RECORDS_READ, RECORDS_REJECTED, RECORDS_VALID


def rest_get(url: str):
    """GET a JSON document from the local MiniCluster's REST API."""
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def counters(rest: str, job_id: str) -> Counter:
    """{'read': n, 'valid': n, <reason>: n, 'alert:<rule>:<channel>': n} summed over operators and
    subtasks (absent: 0): the job's own counters (udfs/metric_names.py), as CloudWatch gets them."""
    out: Counter = Counter()
    for vertex in rest_get(f"{rest}/jobs/{job_id}")["vertices"]:
        base = f"{rest}/jobs/{job_id}/vertices/{vertex['id']}/subtasks/metrics"
        ids = [m["id"] for m in rest_get(base) if f".{METRIC_GROUP}." in m["id"]]
        if not ids:
            continue
        for m in rest_get(f"{base}?agg=sum&get={urllib.parse.quote(','.join(ids))}"):
            parts = m["id"].split(f".{METRIC_GROUP}.", 1)[1].split(".")
            n = int(m["sum"])
            if parts == [RECORDS_READ]:
                out["read"] += n
            elif parts == [RECORDS_VALID]:
                out["valid"] += n
            elif len(parts) == 3 and parts[0] == "Reason" and parts[2] == RECORDS_REJECTED:
                out[parts[1]] += n
            elif len(parts) == 5 and parts[0] == "Rule" and parts[2] == "Channel" and parts[4] == ALERTS:
                out[f"alert:{parts[1]}:{parts[3]}"] += n
    return out


def rejected(seen: Counter) -> int:
    return sum(n for k, n in seen.items() if k not in ("read", "valid") and not k.startswith("alert:"))


def wait_for_counters(rest: str, job_id: str, read: int, rejected_: int, timeout_s: float = 30.0) -> Counter:
    """counters() once they count `read` records and `rejected_` rejections (Python workers report
    per bundle and the REST API caches metrics for metrics.fetcher.update-interval), or the last
    seen at the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen = counters(rest, job_id)
        if (seen["read"] >= read and rejected(seen) >= rejected_) or time.monotonic() > deadline:
            return seen
        time.sleep(1)


def from_outputs(read: int, windows: list[dict], dead_letters: list[dict], alerts: list[dict]) -> Counter:
    """What the counters must say, from what the outputs hold: read, valid (the per-vehicle window
    record counts), dead letters by reason, alerts by rule and channel."""
    from udfs.telemetry import FLEET_ID

    out = Counter(read=read, valid=sum(w["record_count"] for w in windows if w["vehicle_id"] != FLEET_ID))
    out.update(d["reason"] for d in dead_letters)
    out.update(f"alert:{a['rule']}:{a['channel']}" for a in alerts)
    return +out

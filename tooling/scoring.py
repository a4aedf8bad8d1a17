"""Score the job's outputs against the simulator's ground-truth manifest.

Alerts: an expected alert (manifest `expected` = alert:<rule>) is found when the job raised that
rule for the same vehicle and channel at an event time within the scenario's [start, end].
Precision counts the job's alerts that fall inside some scenario of that vehicle, channel and
rule. Dead letters: per reason, how many the manifest injected and how many the job rejected.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from udfs.telemetry import PARSER_MISMATCH

_WHEEL_GROUPS = {"brakes": "brake", "tires": "tire"}


def job_channel(manifest_channel: str) -> str:
    """'temperatures.brakes.rear_left' -> 'brake_rear_left'; 'temperatures.engine' -> 'engine'."""
    parts = manifest_channel.split(".")
    if parts[0] != "temperatures":
        return manifest_channel
    return "engine" if parts[1] == "engine" else f"{_WHEEL_GROUPS[parts[1]]}_{parts[2]}"


def score(manifest: list[dict], alerts: list[dict], dead_letters: list[dict]) -> dict:
    expected = [(e["vehicle_id"], job_channel(e["channel"]), e["expected"].split(":", 1)[1], e["start"], e["end"])
                for e in manifest if e["expected"].startswith("alert:")]
    raised = [(a["vehicle_id"], a["channel"], a["rule"], a["event_time"]) for a in alerts]

    def inside(alert, scenario) -> bool:
        return alert[:3] == scenario[:3] and scenario[3] <= alert[3] <= scenario[4]

    found = sum(any(inside(a, s) for a in raised) for s in expected)
    true_alerts = sum(any(inside(a, s) for s in expected) for a in raised)
    injected = Counter(e["expected"].split(":", 1)[1] for e in manifest if e["expected"].startswith("dead_letter:"))
    rejected = Counter(d["reason"] for d in dead_letters)
    return {
        "alerts_expected": len(expected), "alerts_found": found,
        "alert_recall": round(found / len(expected), 4) if expected else None,
        "alerts_raised": len(raised), "alerts_inside_scenarios": true_alerts,
        "alert_precision": round(true_alerts / len(raised), 4) if raised else None,
        "dead_letters_by_reason": {r: {"injected": injected[r], "rejected": rejected[r]}
                                   for r in sorted(set(injected) | set(rejected))},
    }


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# Reconciled is not healthy: records can all be accounted for and still mostly be rejected.
LATE_SHARE_LIMIT = 0.01


def health(read: int, rejected_by_reason: dict[str, int]) -> dict:
    """Shares of the records read that were late or too far ahead, and whether the late share
    stays under LATE_SHARE_LIMIT (a few late readings are normal; more means the watermark ran
    ahead of the data: out-of-step reading, a wrong clock, too small an out-of-orderness) with
    no parser mismatch."""
    late = rejected_by_reason.get("late", 0)
    future = rejected_by_reason.get("future_event_time", 0)
    # Any parser mismatch is a bug in the job (sql/12_staging_parsed.sql), never healthy.
    mismatch = rejected_by_reason.get(PARSER_MISMATCH, 0)
    share = round(late / read, 4) if read else 0.0   # as shown: the line's verdict reads it back
    return {"late": late, "late_share": share, "future_event_time": future,
            "future_share": round(future / read, 4) if read else 0.0, "parser_mismatch": mismatch,
            "healthy": share <= LATE_SHARE_LIMIT and not mismatch}


def health_line(h: dict) -> str:
    warnings = []
    if h["late_share"] > LATE_SHARE_LIMIT:
        warnings.append(f"more than {LATE_SHARE_LIMIT:.0%} of the records are late")
    if h["parser_mismatch"]:
        warnings.append(f"{h['parser_mismatch']} {PARSER_MISMATCH} dead letters, a bug in the job "
                        "(docs/deploy-and-operate.md)")
    verdict = "WARNING: " + "; ".join(warnings) if warnings else "healthy"
    return (f"health: late {h['late']} ({h['late_share']:.2%}), future_event_time {h['future_event_time']} "
            f"({h['future_share']:.2%}) -> {verdict}")

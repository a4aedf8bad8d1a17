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

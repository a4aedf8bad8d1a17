"""Shards read out of step: the same backlog on four shards, read by 1, 2 and 4 source subtasks,
gives the same outputs, and only the records injected as late are late.

Each run starts from a pre-filled stream (a backlog, as after a restart, a resume or an outage):
a subtask reading several shards gets them in GetRecords batches, one shard far ahead of another.
With one watermark per subtask (the SQL Kinesis source) that dead-lettered up to 40% of on-time
records as late; with per-shard watermarks and per-shard verdicts at the source, parallelism is
only a throughput choice. Real connectors on moto. The runs are shared with tests/test_faults.py
(conftest.py's `backlog_runs`).
"""
from __future__ import annotations

import pytest

from tests.backlog import compare

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("connector_jar")]


def test_every_record_accounted_for_at_every_parallelism(backlog_runs):
    for p, run in backlog_runs.items():
        assert run["valid"] + sum(run["reasons"].values()) == run["read"], p


def test_late_equals_the_records_injected_as_late(backlog_runs, backlog_fleet):
    _, manifest = backlog_fleet
    injected = sum(e["expected"] == "dead_letter:late" for e in manifest)
    assert injected >= 3
    for p, run in backlog_runs.items():
        assert run["reasons"]["late"] == injected, (p, run["reasons"])


@pytest.mark.parametrize("parallelism", [1, 2])
def test_fewer_subtasks_than_shards_give_the_same_outputs(backlog_runs, parallelism):
    full, fewer = backlog_runs[4], backlog_runs[parallelism]
    assert fewer["reasons"] == full["reasons"]
    assert compare(full, fewer) == {"alerts": 0, "fast_laps": 0, "dead_letters": 0}

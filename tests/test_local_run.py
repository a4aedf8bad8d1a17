"""README command 1 stays true: the local run finishes, reconciles and leaves nothing running."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from tooling import local_run

pytestmark = pytest.mark.integration


def _moto_pids() -> set[str]:
    out = subprocess.run(["pgrep", "-f", "moto.server -H 127.0.0.1"], capture_output=True, text=True).stdout
    return set(out.split())


def _replay_of_the_archive_matches(kept, out):
    """The archive of a live run on two shards (two subtasks, a watermark per shard), replayed as
    one split: the same fast laps, alerts, dead letters, latest state and windows (averages up to
    the order of summation, which differs between two subtasks and one)."""
    from tooling import archive
    from tooling.replay import replay_config, run

    records, _ = archive.read(str(kept / "raw_archive.jsonl"))
    run("archive", out, replay_config(), records=records)

    def rows(folder, name):
        return (folder / name).read_text().splitlines()

    def jsonl(folder, name):
        return [json.loads(x) for x in rows(folder, name)]

    assert sorted(rows(out, "fast_laps.csv")) == sorted(rows(kept, "fast_laps.csv"))
    assert sorted(a["alert_id"] for a in jsonl(out, "alerts.jsonl")) == sorted(
        a["alert_id"] for a in jsonl(kept, "alerts.jsonl"))
    letter = lambda d: (d["reason"], d.get("vehicle_id"), d.get("event_time"), d["payload"])  # noqa: E731
    assert sorted(map(letter, jsonl(out, "dead_letters.jsonl"))) == sorted(
        map(letter, jsonl(kept, "dead_letters.jsonl")))
    assert sorted(jsonl(out, "latest_state.jsonl"), key=str) == sorted(jsonl(kept, "latest_state.jsonl"), key=str)

    def windows(folder):
        return {(w["vehicle_id"], w["window_start"]): w for w in jsonl(folder, "window_aggregates.jsonl")}
    replayed, live = windows(out), windows(kept)
    assert replayed.keys() == live.keys()
    for key, w in live.items():
        numbers = {k for k, v in w.items() if isinstance(v, float)}
        assert {k: v for k, v in replayed[key].items() if k not in numbers} == {
            k: v for k, v in w.items() if k not in numbers}, key
        assert {k: replayed[key][k] for k in numbers} == pytest.approx({k: w[k] for k in numbers}, rel=1e-12), key


def test_local_run_end_to_end(capsys, tmp_path):
    before = _moto_pids()
    status = local_run.main(["--vehicles", "2", "--duration", "30", "--seed", "3"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "sent to Kinesis: sent=" in out and "failed=0" in out
    assert "reconciliation: read" in out and "-> OK" in out
    if local_run.CONNECTOR_JAR.is_file():
        # What it printed is kept as files, with the same counts.
        kept = local_run.OUT_DIR / "outputs"
        letters = (kept / "dead_letters.jsonl").read_text().splitlines()
        assert f"Dead letters: {len(letters)}" in out and "agree with the outputs" in out
        assert sum(json.loads(x)["reason"] == "heartbeat" for x in letters) == 2   # one per shard
        windows = [json.loads(x) for x in (kept / "window_aggregates.jsonl").read_text().splitlines()]
        valid = sum(w["record_count"] for w in windows if w["vehicle_id"] != "__fleet__")
        assert f"= valid {valid} + rejected {len(letters)} -> OK" in out
        # The raw archive holds every record read, once; its copy is kept beside the outputs.
        archived = re.search(r"Raw archive s3://\S+: (\d+) lines in \d+ objects, (\d+) distinct records of (\d+) read",
                             out)
        assert archived and archived[1] == archived[2] == archived[3], out
        assert len((kept / "raw_archive.jsonl").read_text().splitlines()) == int(archived[1])
        _replay_of_the_archive_matches(kept, tmp_path)
    else:
        summary = json.loads((local_run.OUT_DIR / "replay" / "summary.json").read_text())
        assert summary["reconciled"] and summary["records_read"] == summary["valid"] + summary["rejected"] > 0
    assert _moto_pids() <= before          # the run's own moto server is gone


@pytest.mark.unit
def test_last_event_time_skips_malformed_records():
    from tests.fixtures import line, record

    records = [("a", line(record("a", 5.0)).encode()), ("x", b'{"truncated": '), ("x", b"\xb5\xff"),
               ("b", line(record("b", 9.5)).encode())]
    assert local_run.last_event_time(records) == "2026-11-23T12:00:09.500Z"

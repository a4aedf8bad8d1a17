"""The simulator's injected faults and scenarios, through the real SQL: the job finds every
scenario the manifest says it should, raises nothing else, and rejects exactly what was injected."""
from __future__ import annotations

import pytest

from simulator import FleetConfig, generate, write_jsonl
from tooling.replay import FILE_NAMES, replay_config, run
from tooling.scoring import job_channel, read_jsonl, score

pytestmark = pytest.mark.sql


def test_job_matches_ground_truth(tmp_path):
    sim = generate(FleetConfig(vehicles=5, hz=2, duration=1200, seed=4))
    write_jsonl(sim, str(tmp_path / "in.jsonl"))
    summary = run(tmp_path / "in.jsonl", tmp_path / "out", replay_config())
    assert summary["reconciled"]

    s = score(sim.manifest, read_jsonl(tmp_path / "out" / FILE_NAMES["alerts"]),
              read_jsonl(tmp_path / "out" / FILE_NAMES["dead_letters"]))
    kinds = {e["kind"] for e in sim.manifest}
    assert {"ramp", "spike", "drift", "malformed", "duplicate", "late"} <= kinds   # the fixture is not trivial
    assert s["alerts_expected"] > 0 and s["alerts_found"] == s["alerts_expected"]          # recall 1
    assert s["alerts_inside_scenarios"] == s["alerts_raised"]                            # precision 1
    assert all(n["injected"] == n["rejected"] for n in s["dead_letters_by_reason"].values()), s
    assert summary["rejected"] == sum(n["injected"] for n in s["dead_letters_by_reason"].values())


@pytest.mark.unit
def test_channel_names_map_to_the_jobs():
    assert job_channel("temperatures.engine") == "engine"
    assert job_channel("temperatures.brakes.rear_left") == "brake_rear_left"
    assert job_channel("temperatures.tires.front_right") == "tire_front_right"
    assert job_channel("rpm") == "rpm"

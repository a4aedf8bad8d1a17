"""docs/adding-an-output.md, walked in a temporary copy of the project: a throwaway output
(`slow_laps`: readings under 100 km/h as CSV lines through Firehose) declared in jobs/outputs.py
plus its SQL file is enough for the configuration, the replay and the local stand-in; the infra
check names what Terraform still lacks."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import line, record, ts

ROOT = Path(__file__).resolve().parent.parent

DECLARATION = '''
OUTPUTS = (*OUTPUTS, Output("slow_laps", "firehose", "slow_laps.csv", "Firehose stream that receives slow readings.",
                            lines=True, columns="line STRING"))
BY_VIEW = {o.view: o for o in OUTPUTS}
'''
VIEW = """-- One row: one CSV line (vehicle_id,event_time,speed) for a reading under 100 km/h.
-- Event time: none kept.
-- Read by: the slow-laps sink (Firehose -> S3).
CREATE TEMPORARY VIEW slow_laps AS
SELECT CONCAT_WS(',', vehicle_id, event_time, CAST(speed AS STRING)) AS line
FROM telemetry_valid
WHERE speed < 100;
"""


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    # `python -m` puts cwd first on sys.path: the copy's jobs/ and tooling/ are the ones imported.
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The copy, with the checklist's steps 1 and 2 done (and the Read by line updated)."""
    copy = tmp_path_factory.mktemp("project")
    for folder in ("jobs", "udfs", "sql", "tooling", "simulator", "tests", "infra", "docs"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__", ".terraform"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "build").mkdir()
    (copy / "build" / "lib").symlink_to(ROOT / "build" / "lib")  # the Java helpers, built once
    outputs = copy / "jobs" / "outputs.py"
    outputs.write_text(outputs.read_text() + DECLARATION)
    (copy / "sql" / "35_output_slow_laps.sql").write_text(VIEW)
    valid = copy / "sql" / "14_staging_valid.sql"
    text = valid.read_text()
    assert "32_output_latest_state.sql." in text
    valid.write_text(text.replace("32_output_latest_state.sql.",
                                  "32_output_latest_state.sql,\n--   35_output_slow_laps.sql."))
    return copy


@pytest.mark.unit
def test_the_configuration_requires_and_documents_its_key(project):
    table = _run(project, "-m", "jobs.config", "--markdown")
    assert table.returncode == 0, table.stderr
    assert ("| `sink.slow-laps` | `delivery-stream` | yes |  | a Firehose delivery stream name | "
            "Firehose stream that receives slow readings. |") in table.stdout
    props = project / "props.json"
    props.write_text(json.dumps([{"PropertyGroupId": "aws", "PropertyMap": {"region": "eu-west-1"}}]))
    check = _run(project, "-m", "jobs.config", str(props))
    assert check.returncode == 2 and "missing required key 'source.telemetry.stream.arn'" in check.stderr


@pytest.mark.unit
def test_the_sql_checks_accept_it(project):
    checks = _run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  "tests/test_sql_files.py::test_files_are_layered_one_view_each_named_like_the_file",
                  "tests/test_sql_files.py::test_read_by_headers_match_the_from_clauses")
    assert checks.returncode == 0, checks.stdout[-3000:]


@pytest.mark.unit
def test_the_infra_check_names_the_missing_terraform(project):
    check = _run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "tests/test_infra.py::test_every_output_has_its_infra")
    assert check.returncode == 1
    assert "outputs without Terraform: ['slow_laps']" in check.stdout, check.stdout[-3000:]


@pytest.mark.sql
def test_the_replay_writes_its_file(project, tmp_path):
    capture = tmp_path / "capture.jsonl"
    records = [record("veh-1", 1.0, speed=80.0), record("veh-1", 2.0, speed=250.0), record("veh-2", 3.0, speed=99.5)]
    capture.write_text("".join(line(r) + "\n" for r in records))
    out = tmp_path / "out"
    replay = _run(project, "-m", "tooling.replay", str(capture), "--out", str(out))
    assert replay.returncode == 0, replay.stdout[-2000:] + replay.stderr[-2000:]
    assert (out / "slow_laps.csv").read_text().splitlines() == [f"veh-1,{ts(1.0)},80.0", f"veh-2,{ts(3.0)},99.5"]
    assert (out / "fast_laps.csv").read_text().splitlines()[0].startswith(f"veh-1,{ts(2.0)},250.0,")
    assert json.loads((out / "summary.json").read_text())["outputs"]["slow_laps.csv"] == 2


@pytest.mark.integration
def test_the_local_stand_in_creates_it_and_the_job_config_names_it(project):
    script = """
from jobs.outputs import BY_VIEW
from tooling.local_aws import LocalResources, MotoServer, create_resources
from tooling.local_run import local_properties
res = LocalResources()
with MotoServer() as moto:
    create_resources(moto, res)
    stream = moto.client("firehose").describe_delivery_stream(DeliveryStreamName="telemetry-slow-laps")
    dest = stream["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]
    print(dest["BucketARN"], dest["Prefix"])
    groups = {g["PropertyGroupId"]: g["PropertyMap"] for g in local_properties(moto, res, 1)}
    print(groups["sink.slow-laps"])
"""
    run = _run(project, "-c", script)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.splitlines() == ["arn:aws:s3:::telemetry-slow-laps slow-laps/",
                                       "{'delivery-stream': 'telemetry-slow-laps'}"]

"""tooling.deploy: S3 on moto; the MSF application on botocore's Stubber, which checks each
request against the real API model (moto lacks UpdateApplication, Start, Stop and Rollback, and
leaves a created application STARTING for ever). The application itself is Terraform's (infra/);
here it is the DescribeApplication answer Terraform's would give. The zip is the python_only
package: the deploy logic is under test here, not the zip's content (tests/test_package.py)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from botocore.stub import ANY, Stubber

from jobs.config import MSF_RUN_OPTIONS_GROUP
from tooling import deploy
from tooling.local_aws import ACCESS_KEY, ACCOUNT_ID, SECRET_KEY
from tooling.package import build_package, run_options

pytestmark = pytest.mark.integration

APP = "telemetry-job"
BUCKET = "telemetry-code"
KEEP_STATE = {"FlinkRunConfiguration": {"AllowNonRestoredState": False},
              "ApplicationRestoreConfiguration": {"ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"}}


def _code_key(zip_path) -> str:
    # Content-addressed key, computed here rather than with the code under test.
    return f"telemetry/{hashlib.sha256(zip_path.read_bytes()).hexdigest()[:16]}.zip"


@pytest.fixture
def aws(moto, monkeypatch, tmp_path):
    """moto with the code bucket, credentials in the environment, and a zip."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    moto.client("s3").create_bucket(Bucket=BUCKET)
    return {"moto": moto, "tmp": tmp_path,
            "zip": build_package(tmp_path / "v1.zip", None, python_only=True),
            "common": ["--app", APP, "--endpoint-url", moto.endpoint, "--region", moto.region, "--poll-seconds", "0"]}


def _deploy(aws, *extra: str, zip_path: Path | None = None, clients=None) -> int:
    return deploy.main(["deploy", *aws["common"], "--bucket", BUCKET, "--zip", str(zip_path or aws["zip"]), *extra],
                       clients=clients)


def _one_line_error(capsys, *fragments: str) -> None:
    err = capsys.readouterr().err.strip()
    assert err.startswith("deploy: error: ") and "\n" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def _detail(status: str, version: int, key: str = "telemetry-job.zip", run: dict | None = None) -> dict:
    """What DescribeApplication answers for the application infra/ creates."""
    return {"ApplicationDetail": {
        "ApplicationARN": f"arn:aws:kinesisanalytics:us-east-1:{ACCOUNT_ID}:application/{APP}",
        "ApplicationName": APP, "RuntimeEnvironment": "FLINK-2_2",
        "ServiceExecutionRole": f"arn:aws:iam::{ACCOUNT_ID}:role/{APP}",
        "ApplicationStatus": status, "ApplicationVersionId": version,
        "ApplicationConfigurationDescription": {
            "ApplicationCodeConfigurationDescription": {"CodeContentType": "ZIPFILE", "CodeContentDescription": {
                "S3ApplicationCodeLocationDescription": {"BucketARN": f"arn:aws:s3:::{BUCKET}", "FileKey": key}}},
            "EnvironmentPropertyDescriptions": {"PropertyGroupDescriptions": [
                {"PropertyGroupId": "rules", "PropertyMap": {"threshold.engine": "125"}},
                {"PropertyGroupId": MSF_RUN_OPTIONS_GROUP, "PropertyMap": run or run_options()}]}}}}


def _stubbed(aws) -> tuple[deploy.Clients, Stubber]:
    real = deploy.make_clients(aws["moto"].region, aws["moto"].endpoint)  # S3 stays on moto
    stub = Stubber(real.msf)
    stub.activate()
    return real, stub


def _listed(stub: Stubber, detail: dict) -> None:
    stub.add_response("list_applications", {"ApplicationSummaries": [{
        "ApplicationName": APP, "ApplicationARN": detail["ApplicationDetail"]["ApplicationARN"],
        "ApplicationStatus": detail["ApplicationDetail"]["ApplicationStatus"],
        "ApplicationVersionId": detail["ApplicationDetail"]["ApplicationVersionId"],
        "RuntimeEnvironment": "FLINK-2_2"}]},
        {})
    stub.add_response("describe_application", detail, {"ApplicationName": APP})


def _started(stub: Stubber, version: int, key: str) -> None:
    """A READY application started from its latest snapshot, STARTING, then RUNNING."""
    stub.add_response("describe_application", _detail("READY", version, key), {"ApplicationName": APP})
    stub.add_response("start_application", {}, {"ApplicationName": APP, "RunConfiguration": KEEP_STATE})
    stub.add_response("describe_application", _detail("STARTING", version, key), {"ApplicationName": APP})
    stub.add_response("describe_application", _detail("RUNNING", version, key), {"ApplicationName": APP})


def _code_update(version: int, key: str) -> dict:
    return {"ApplicationName": APP, "CurrentApplicationVersionId": version,
            "ApplicationConfigurationUpdate": {"ApplicationCodeConfigurationUpdate": {
                "CodeContentTypeUpdate": "ZIPFILE", "CodeContentUpdate": {
                    "S3ContentLocationUpdate": {"BucketARNUpdate": f"arn:aws:s3:::{BUCKET}", "FileKeyUpdate": key}}}}}


def test_deploy_uploads_the_zip_moves_a_ready_application_to_it_and_starts_it(aws, capsys):
    key = _code_key(aws["zip"])
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("READY", 1))  # as terraform apply left it: the first zip, not started
    # Code only: properties, parallelism and checkpoints stay Terraform's.
    stub.add_response("update_application", _detail("READY", 2, key), _code_update(1, key))
    _started(stub, 2, key)
    assert _deploy(aws, clients=clients) == 0
    stub.assert_no_pending_responses()
    assert aws["moto"].client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read() == aws["zip"].read_bytes()
    out = capsys.readouterr().out
    assert f"s3://{BUCKET}/{key} uploaded" in out and f"updated {APP} to version 2" in out
    assert "status       RUNNING" in out and "runtime      FLINK-2_2" in out
    assert f"code         s3://{BUCKET}/{key}" in out


def test_status_prints_the_application(aws, capsys):
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("RUNNING", 3))
    assert deploy.main(["status", *aws["common"]], clients=clients) == 0
    out = capsys.readouterr().out
    assert f"arn          arn:aws:kinesisanalytics:us-east-1:{ACCOUNT_ID}:application/{APP}" in out
    assert "version      3" in out and f"code         s3://{BUCKET}/telemetry-job.zip" in out
    assert f"properties   {MSF_RUN_OPTIONS_GROUP}, rules" in out


def test_missing_bucket(aws, capsys):
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("READY", 1))
    assert deploy.main(["deploy", *aws["common"], "--bucket", "no-such-bucket", "--zip", str(aws["zip"])],
                       clients=clients) == 2
    _one_line_error(capsys, "code bucket no-such-bucket does not exist")


@pytest.mark.parametrize("command", ["deploy", "status", "stop", "rollback"])
def test_missing_application_points_at_terraform(aws, capsys, command):
    """On moto, which has no application: deploy never creates one."""
    extra = ["--bucket", BUCKET, "--zip", str(aws["zip"])] if command == "deploy" else []
    assert deploy.main([command, *aws["common"], *extra]) == 2
    _one_line_error(capsys, f"application {APP} not found", "terraform apply")
    assert "Contents" not in aws["moto"].client("s3").list_objects_v2(Bucket=BUCKET)


def test_wrong_run_options_stop_before_any_upload(aws, capsys):
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("READY", 1, run={"python": "job.py", "jarfile": "lib/telemetry-connectors.jar"}))
    assert _deploy(aws, clients=clients) == 2
    _one_line_error(capsys, MSF_RUN_OPTIONS_GROUP, "'python': 'job.py'", "'python': 'main.py'", "infra/properties.tf")
    assert "Contents" not in aws["moto"].client("s3").list_objects_v2(Bucket=BUCKET)


def test_an_application_in_transition_is_left_alone(aws, capsys):
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("UPDATING", 4))
    assert _deploy(aws, clients=clients) == 2
    _one_line_error(capsys, "is UPDATING; deploy when it is READY or RUNNING")


def test_second_deploy_updates_a_running_application_keeping_state(aws, capsys):
    v2 = build_package(aws["tmp"] / "v2.zip", None, python_only=True)
    with v2.open("ab") as f:
        f.write(b"\0")  # different bytes -> a different content-addressed key
    key = _code_key(v2)
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("RUNNING", 4))
    stub.add_response("update_application", _detail("UPDATING", 5, key),
                      {**_code_update(4, key), "RunConfigurationUpdate": KEEP_STATE})
    stub.add_response("describe_application", _detail("UPDATING", 5, key), {"ApplicationName": APP})
    stub.add_response("describe_application", _detail("UPDATING", 5, key), {"ApplicationName": APP})
    stub.add_response("describe_application", _detail("RUNNING", 5, key), {"ApplicationName": APP})
    assert _deploy(aws, zip_path=v2, clients=clients) == 0
    stub.assert_no_pending_responses()
    assert aws["moto"].client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read() == v2.read_bytes()
    out = capsys.readouterr().out
    assert "updated telemetry-job to version 5 (snapshot taken" in out and "status       RUNNING" in out


def test_deploy_starts_a_ready_application_from_the_latest_snapshot(aws, capsys):
    key = _code_key(aws["zip"])
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("READY", 2, key))  # already on this code: no update, just a start
    _started(stub, 2, key)
    assert _deploy(aws, clients=clients) == 0
    stub.assert_no_pending_responses()
    assert "already on this code, no new version" in capsys.readouterr().out


def test_same_zip_again_uploads_nothing_and_makes_no_version(aws, capsys):
    key = _code_key(aws["zip"])
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("READY", 1))
    stub.add_response("update_application", _detail("READY", 2, key), _code_update(1, key))
    stub.add_response("describe_application", _detail("READY", 2, key), {"ApplicationName": APP})
    assert _deploy(aws, "--no-start", clients=clients) == 0  # uploads, moves the application
    capsys.readouterr()
    _listed(stub, _detail("READY", 2, key))
    stub.add_response("describe_application", _detail("READY", 2, key), {"ApplicationName": APP})
    assert _deploy(aws, "--no-start", clients=clients) == 0  # no update_application expected
    stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert "already there" in out and "already on this code, no new version" in out and "version      2" in out
    assert len(aws["moto"].client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]) == 1


def test_failed_start_is_reported(aws, capsys):
    key = _code_key(aws["zip"])
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("READY", 2, key))
    stub.add_response("describe_application", _detail("READY", 2, key), {"ApplicationName": APP})
    stub.add_response("start_application", {}, {"ApplicationName": APP, "RunConfiguration": ANY})
    stub.add_response("describe_application", _detail("STARTING", 2, key), {"ApplicationName": APP})
    stub.add_response("describe_application", _detail("READY", 2, key), {"ApplicationName": APP})
    assert deploy.main(["deploy", *aws["common"], "--bucket", BUCKET, "--zip", str(aws["zip"])], clients=clients) == 2
    _one_line_error(capsys, "went to READY instead of RUNNING", "PythonDriver")


def test_stop_takes_a_snapshot_and_waits_ready(aws, capsys):
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("RUNNING", 5))
    stub.add_response("stop_application", {}, {"ApplicationName": APP, "Force": False})
    stub.add_response("describe_application", _detail("STOPPING", 5), {"ApplicationName": APP})
    stub.add_response("describe_application", _detail("READY", 5), {"ApplicationName": APP})
    assert deploy.main(["stop", *aws["common"]], clients=clients) == 0
    stub.assert_no_pending_responses()
    assert "status       READY" in capsys.readouterr().out


def test_rollback_goes_to_the_previous_version(aws, capsys):
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("RUNNING", 5))
    stub.add_response("rollback_application", _detail("ROLLING_BACK", 5),
                      {"ApplicationName": APP, "CurrentApplicationVersionId": 5})
    stub.add_response("describe_application", _detail("ROLLING_BACK", 5), {"ApplicationName": APP})
    stub.add_response("describe_application", _detail("RUNNING", 6), {"ApplicationName": APP})
    assert deploy.main(["rollback", *aws["common"]], clients=clients) == 0
    stub.assert_no_pending_responses()
    assert "version 5 -> 6" in capsys.readouterr().out


def test_rollback_of_a_stopped_application_is_explained(aws, capsys):
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("READY", 5))
    assert deploy.main(["rollback", *aws["common"]], clients=clients) == 2
    _one_line_error(capsys, "rolls back only a RUNNING", "--zip OLD.zip")


def test_deploy_without_zip_refuses_to_package_without_the_jar(aws, capsys):
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("READY", 1))
    assert deploy.main(["deploy", *aws["common"], "--bucket", BUCKET, "--jar", str(aws["tmp"] / "missing.jar"),
                        "--out", str(aws["tmp"] / "app.zip")], clients=clients) == 2
    _one_line_error(capsys, "make jars")
    assert "Contents" not in aws["moto"].client("s3").list_objects_v2(Bucket=BUCKET)

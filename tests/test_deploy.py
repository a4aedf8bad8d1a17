"""tooling.deploy against moto (S3, IAM, and the kinesisanalyticsv2 calls moto implements: create,
describe, list) and, for the calls moto lacks (update, start, stop, rollback), against botocore's
Stubber, which checks each request against the real API model. The zip is the python_only
package: the deploy logic is under test here, not the zip's content (tests/test_package.py)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from botocore.stub import ANY, Stubber

from jobs.config import MSF_RUN_OPTIONS_GROUP, document
from tooling import deploy
from tooling.local_aws import ACCESS_KEY, ACCOUNT_ID, SECRET_KEY
from tooling.package import build_package, run_options

pytestmark = pytest.mark.integration

APP = "telemetry-job"
BUCKET = "telemetry-code"
JOB_GROUPS = {
    "aws": {"region": "us-east-1"},
    "source.telemetry": {"stream.arn": f"arn:aws:kinesis:us-east-1:{ACCOUNT_ID}:stream/telemetry"},
    "sink.fast-laps": {"delivery-stream": "telemetry-fast-laps"},
    "sink.dead-letters": {"delivery-stream": "telemetry-dead-letters"},
    "sink.alerts": {"stream.arn": f"arn:aws:kinesis:us-east-1:{ACCOUNT_ID}:stream/telemetry-alerts"},
    "sink.window-aggregates": {"table-name": "telemetry-window-aggregates"},
    "sink.latest-state": {"table-name": "telemetry-latest-state"},
    "rules": {"threshold.engine": "125"},
}


def _code_key(zip_path) -> str:
    # Content-addressed key, computed here rather than with the code under test.
    return f"telemetry/{hashlib.sha256(zip_path.read_bytes()).hexdigest()[:16]}.zip"


@pytest.fixture
def aws(moto, monkeypatch, tmp_path):
    """moto with the code bucket and execution role, credentials in the environment, and inputs."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    moto.client("s3").create_bucket(Bucket=BUCKET)
    role = moto.client("iam").create_role(RoleName=APP, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "kinesisanalytics.amazonaws.com"}}]}))
    props = tmp_path / "properties.json"
    props.write_text(json.dumps(document(JOB_GROUPS)))
    return {"moto": moto, "role": role["Role"]["Arn"], "props": props, "tmp": tmp_path,
            "zip": build_package(tmp_path / "v1.zip", None, python_only=True),
            "common": ["--app", APP, "--endpoint-url", moto.endpoint, "--region", moto.region, "--poll-seconds", "0"]}


def _deploy(aws, *extra: str, zip_path: Path | None = None, clients=None) -> int:
    return deploy.main(["deploy", *aws["common"], "--bucket", BUCKET, "--zip", str(zip_path or aws["zip"]),
                        "--properties", str(aws["props"]), "--role-arn", aws["role"], *extra], clients=clients)


def _expected_groups() -> dict[str, dict[str, str]]:
    return {**JOB_GROUPS, MSF_RUN_OPTIONS_GROUP: run_options()}


def test_deploy_uploads_the_zip_and_creates_the_application(aws, capsys):
    assert _deploy(aws, "--no-start", "--parallelism", "3", "--checkpoint-interval-ms", "30000") == 0
    key = _code_key(aws["zip"])
    s3 = aws["moto"].client("s3")
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == aws["zip"].read_bytes()

    app = aws["moto"].client("kinesisanalyticsv2").describe_application(ApplicationName=APP)["ApplicationDetail"]
    assert app["RuntimeEnvironment"] == "FLINK-2_2"
    assert app["ServiceExecutionRole"] == aws["role"]
    conf = app["ApplicationConfigurationDescription"]
    code = conf["ApplicationCodeConfigurationDescription"]
    assert code["CodeContentType"] == "ZIPFILE"
    assert code["CodeContentDescription"]["S3ApplicationCodeLocationDescription"] == {
        "BucketARN": f"arn:aws:s3:::{BUCKET}", "FileKey": key}
    groups = {g["PropertyGroupId"]: g["PropertyMap"]
              for g in conf["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"]}
    assert groups == _expected_groups()
    assert conf["ApplicationSnapshotConfigurationDescription"] == {"SnapshotsEnabled": True}
    flink = conf["FlinkApplicationConfigurationDescription"]
    assert flink["CheckpointConfigurationDescription"] == {
        "ConfigurationType": "CUSTOM", "CheckpointingEnabled": True, "CheckpointInterval": 30000,
        "MinPauseBetweenCheckpoints": 5000}
    assert flink["ParallelismConfigurationDescription"]["Parallelism"] == 3
    assert flink["ParallelismConfigurationDescription"]["ParallelismPerKPU"] == 1
    out = capsys.readouterr().out
    assert f"s3://{BUCKET}/{key} uploaded" in out and f"created {APP}" in out and "runtime      FLINK-2_2" in out


def test_terraform_output_shape_is_accepted(aws):
    aws["props"].write_text(json.dumps(JOB_GROUPS))  # terraform output -json application_properties
    assert _deploy(aws, "--no-start") == 0


def test_status_prints_the_application(aws, capsys):
    assert _deploy(aws, "--no-start") == 0
    capsys.readouterr()
    assert deploy.main(["status", *aws["common"]]) == 0
    out = capsys.readouterr().out
    assert f"arn          arn:aws:kinesisanalytics:us-east-1:{ACCOUNT_ID}:application/{APP}" in out
    assert "version      1" in out and f"code         s3://{BUCKET}/telemetry/" in out
    assert MSF_RUN_OPTIONS_GROUP in out


def _one_line_error(capsys, *fragments: str) -> None:
    err = capsys.readouterr().err.strip()
    assert err.startswith("deploy: error: ") and "\n" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def test_missing_bucket(aws, capsys):
    assert deploy.main(["deploy", *aws["common"], "--bucket", "no-such-bucket", "--zip", str(aws["zip"]),
                        "--properties", str(aws["props"]), "--role-arn", aws["role"]]) == 2
    _one_line_error(capsys, "code bucket no-such-bucket does not exist")


def test_missing_role(aws, capsys):
    missing = f"arn:aws:iam::{ACCOUNT_ID}:role/nobody"
    assert deploy.main(["deploy", *aws["common"], "--bucket", BUCKET, "--zip", str(aws["zip"]),
                        "--properties", str(aws["props"]), "--role-arn", missing]) == 2
    _one_line_error(capsys, f"execution role {missing} does not exist")
    assert not aws["moto"].client("kinesisanalyticsv2").list_applications()["ApplicationSummaries"]


@pytest.mark.parametrize("command", ["status", "stop", "rollback"])
def test_missing_application(aws, capsys, command):
    assert deploy.main([command, *aws["common"]]) == 2
    _one_line_error(capsys, f"application {APP} not found")


def test_invalid_properties_stop_before_any_upload(aws, capsys):
    bad = {**JOB_GROUPS, "rules": {"threshold.engine": "hot"}}
    aws["props"].write_text(json.dumps(document(bad)))
    assert _deploy(aws) == 2
    _one_line_error(capsys, "rules.threshold.engine", "expected a number")
    assert "Contents" not in aws["moto"].client("s3").list_objects_v2(Bucket=BUCKET)


def test_create_needs_properties_and_role(aws, capsys):
    assert deploy.main(["deploy", *aws["common"], "--bucket", BUCKET, "--zip", str(aws["zip"])]) == 2
    _one_line_error(capsys, "needs --properties and --role-arn")


# ------------------------------------------------ calls moto lacks: Stubber on the MSF client
def _detail(status: str, version: int, key: str = "telemetry/old.zip", groups: dict | None = None) -> dict:
    return {"ApplicationDetail": {
        "ApplicationARN": f"arn:aws:kinesisanalytics:us-east-1:{ACCOUNT_ID}:application/{APP}",
        "ApplicationName": APP, "RuntimeEnvironment": "FLINK-2_2",
        "ServiceExecutionRole": f"arn:aws:iam::{ACCOUNT_ID}:role/{APP}",
        "ApplicationStatus": status, "ApplicationVersionId": version,
        "ApplicationConfigurationDescription": {
            "ApplicationCodeConfigurationDescription": {"CodeContentType": "ZIPFILE", "CodeContentDescription": {
                "S3ApplicationCodeLocationDescription": {"BucketARN": f"arn:aws:s3:::{BUCKET}", "FileKey": key}}},
            "EnvironmentPropertyDescriptions": {"PropertyGroupDescriptions": [
                {"PropertyGroupId": g, "PropertyMap": m} for g, m in (groups or _expected_groups()).items()]}}}}


def _stubbed(aws) -> tuple[deploy.Clients, Stubber]:
    real = deploy.make_clients(aws["moto"].region, aws["moto"].endpoint)  # S3 and IAM stay on moto
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


def test_second_deploy_updates_a_running_application_keeping_state(aws, capsys):
    v2 = build_package(aws["tmp"] / "v2.zip", None, python_only=True)
    with v2.open("ab") as f:
        f.write(b"\0")  # different bytes -> a different content-addressed key
    key = _code_key(v2)
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("RUNNING", 4))
    stub.add_response("update_application", _detail("UPDATING", 5, key), {
        "ApplicationName": APP, "CurrentApplicationVersionId": 4,
        "ApplicationConfigurationUpdate": {
            "ApplicationCodeConfigurationUpdate": {"CodeContentTypeUpdate": "ZIPFILE", "CodeContentUpdate": {
                "S3ContentLocationUpdate": {"BucketARNUpdate": f"arn:aws:s3:::{BUCKET}", "FileKeyUpdate": key}}},
            "ApplicationSnapshotConfigurationUpdate": {"SnapshotsEnabledUpdate": True},
            "EnvironmentPropertyUpdates": {"PropertyGroups": ANY}},
        "RunConfigurationUpdate": {"FlinkRunConfiguration": {"AllowNonRestoredState": False},
                                   "ApplicationRestoreConfiguration": {
                                       "ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"}}})
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
    _listed(stub, _detail("READY", 2, key))  # same code and properties: no update, just a start
    stub.add_response("describe_application", _detail("READY", 2, key), {"ApplicationName": APP})
    stub.add_response("start_application", {}, {"ApplicationName": APP, "RunConfiguration": {
        "FlinkRunConfiguration": {"AllowNonRestoredState": False},
        "ApplicationRestoreConfiguration": {"ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"}}})
    stub.add_response("describe_application", _detail("STARTING", 2, key), {"ApplicationName": APP})
    stub.add_response("describe_application", _detail("RUNNING", 2, key), {"ApplicationName": APP})
    assert deploy.main(["deploy", *aws["common"], "--bucket", BUCKET, "--zip", str(aws["zip"]),
                        "--properties", str(aws["props"])], clients=clients) == 0
    stub.assert_no_pending_responses()
    assert "unchanged, no new version" in capsys.readouterr().out


def test_same_zip_again_uploads_nothing_and_makes_no_version(aws, capsys):
    assert _deploy(aws, "--no-start") == 0  # on moto: uploads and creates
    key = _code_key(aws["zip"])
    capsys.readouterr()
    # moto leaves a created application STARTING for ever; the stub plays the READY one.
    clients, stub = _stubbed(aws)
    _listed(stub, _detail("READY", 1, key))
    stub.add_response("describe_application", _detail("READY", 1, key), {"ApplicationName": APP})
    assert _deploy(aws, "--no-start", clients=clients) == 0  # no update_application expected
    stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert "already there" in out and "unchanged, no new version" in out and "version      1" in out
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
    assert deploy.main(["deploy", *aws["common"], "--bucket", BUCKET, "--jar", str(aws["tmp"] / "missing.jar"),
                        "--out", str(aws["tmp"] / "app.zip"), "--properties", str(aws["props"]),
                        "--role-arn", aws["role"]]) == 2
    _one_line_error(capsys, "make jars")
    assert "Contents" not in aws["moto"].client("s3").list_objects_v2(Bucket=BUCKET)

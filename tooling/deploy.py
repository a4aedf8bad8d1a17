"""Move a Terraform-created Managed Service for Apache Flink application (FLINK-2_2) to new code.

    python -m tooling.deploy deploy   --bucket B [--key K] [--zip Z | --jar J]
    python -m tooling.deploy status   [--app NAME]
    python -m tooling.deploy stop     [--app NAME]
    python -m tooling.deploy rollback [--app NAME]
    (every command: --app (default telemetry-job), --region, --endpoint-url for moto)

One owner per thing: Terraform (infra/) creates the application and owns its configuration
(properties, parallelism, checkpoints, role, logging); it ignores later changes of the code
location, which belong to this command. deploy: build the zip (tooling.package) unless --zip is
given -> upload it to the code bucket -> UpdateApplication with the new code location only -> start
it if it is READY -> wait until RUNNING -> print ARN, version, status and code location. It never
creates an application: a missing one is an error pointing at `terraform apply`.

S3 key: by default `telemetry/<first 16 hex of the zip's SHA-256>.zip` (content-addressed). The
zip is deterministic, so an unchanged build maps to the same key, is not uploaded again, and the
application is not updated (no new version); every deployed version keeps its own object, so
rollback never points at overwritten code, with or without bucket versioning. `--key` selects a
fixed key instead (e.g. infra's `telemetry-job.zip`); the S3 VersionId of the upload is then pinned
as ObjectVersion (the infra code bucket is versioned).

State: an update of a RUNNING application snapshots it and restarts from that snapshot, a start
restores from the latest snapshot, and AllowNonRestoredState is false so a change that would
silently drop state fails instead (stop, then start without state, on purpose).

moto (5.x) implements only CreateApplication, DescribeApplication (500 for a missing name instead
of ResourceNotFoundException), ListApplications and tags for kinesisanalyticsv2; Update, Start,
Stop and RollbackApplication are missing, and created applications stay STARTING. Existence is
therefore checked with ListApplications (works on both), and the tests cover the missing calls
with botocore's Stubber, which checks every request against the real API model.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.cli import Parser
from jobs.config import MSF_RUN_OPTIONS_GROUP
from tooling.package import DEFAULT_JAR, PackageError, build_package, run_options, sha256

RUNTIME = "FLINK-2_2"
DEFAULT_APP = "telemetry-job"  # infra/ names.application without name_prefix
KEY_PREFIX = "telemetry/"
RESTORE_LATEST = {"ApplicationRestoreType": "RESTORE_FROM_LATEST_SNAPSHOT"}
KEEP_STATE = {"AllowNonRestoredState": False}
ROLLBACK_STATES = ("RUNNING", "UPDATING", "AUTOSCALING")  # where MSF accepts RollbackApplication
STABLE_STATES = ("READY", "RUNNING")


class DeployError(RuntimeError):
    """A condition the operator can fix; printed as one line, exit status 2."""


@dataclass
class Clients:
    msf: Any
    s3: Any


def make_clients(region: str | None, endpoint_url: str | None) -> Clients:
    import boto3  # dev/ops dependency, not needed by the job itself (MSF does not ship boto3 to it)

    session = boto3.session.Session(region_name=region)
    if not session.region_name:
        raise DeployError("no AWS region: pass --region or set AWS_REGION")
    kw = {"endpoint_url": endpoint_url} if endpoint_url else {}
    return Clients(session.client("kinesisanalyticsv2", **kw), session.client("s3", **kw))


def _partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def _code(e: Exception) -> str:
    return getattr(e, "response", {}).get("Error", {}).get("Code", "")


def upload(s3, zip_path: Path, bucket: str, key: str | None) -> tuple[str, str | None, bool]:
    """(key, S3 version or None, uploaded?). Skips the upload when the object already has these bytes."""
    digest = sha256(zip_path)
    key = key or f"{KEY_PREFIX}{digest[:16]}.zip"
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception as e:
        if _code(e) in ("404", "NoSuchBucket"):
            raise DeployError(f"code bucket {bucket} does not exist (infra/: terraform apply "
                              f"-target=module.code_bucket; terraform output -raw code_bucket)") from None
        if _code(e) in ("403", "AccessDenied"):
            raise DeployError(f"no access to code bucket {bucket} (HTTP 403)") from None
        raise
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        if head.get("Metadata", {}).get("sha256") == digest:
            return key, head.get("VersionId"), False
    except Exception as e:
        if _code(e) not in ("404", "NoSuchKey"):
            raise
    with zip_path.open("rb") as body:
        put = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/zip",
                            Metadata={"sha256": digest})
    return key, put.get("VersionId"), True


# ---------------------------------------------------------------- application
def find_application(msf, name: str) -> dict[str, Any] | None:
    # ListApplications, not DescribeApplication: moto answers 500 for an unknown name.
    kwargs: dict[str, Any] = {}
    while True:
        page = msf.list_applications(**kwargs)
        if any(a["ApplicationName"] == name for a in page["ApplicationSummaries"]):
            try:
                return msf.describe_application(ApplicationName=name)["ApplicationDetail"]
            except Exception as e:  # deleted between the two calls
                if _code(e) == "ResourceNotFoundException":
                    return None
                raise
        if not page.get("NextToken"):
            return None
        kwargs = {"NextToken": page["NextToken"]}


def require_application(msf, name: str) -> dict[str, Any]:
    app = find_application(msf, name)
    if app is None:
        raise DeployError(f"application {name} not found: Terraform creates it (infra/: terraform apply; "
                          f"--app takes terraform output -raw application_name)")
    return app


def _current(app: dict[str, Any]) -> tuple[dict[str, str], dict[str, dict]]:
    conf = app.get("ApplicationConfigurationDescription") or {}
    loc = (((conf.get("ApplicationCodeConfigurationDescription") or {}).get("CodeContentDescription") or {})
           .get("S3ApplicationCodeLocationDescription") or {})
    groups = (conf.get("EnvironmentPropertyDescriptions") or {}).get("PropertyGroupDescriptions") or []
    return loc, {g["PropertyGroupId"]: g["PropertyMap"] for g in groups}


def update(c: Clients, args: argparse.Namespace, app: dict[str, Any],
           location: dict[str, str]) -> dict[str, Any] | None:
    """UpdateApplication with the new code location only; None when it is already there."""
    current_loc, _ = _current(app)
    if {k: current_loc.get(k) for k in location} == location and \
            ("ObjectVersion" in location or not current_loc.get("ObjectVersion")):
        return None
    s3_update = {"BucketARNUpdate": location["BucketARN"], "FileKeyUpdate": location["FileKey"]}
    if "ObjectVersion" in location:
        s3_update["ObjectVersionUpdate"] = location["ObjectVersion"]
    kwargs: dict[str, Any] = {
        "ApplicationName": args.app, "CurrentApplicationVersionId": app["ApplicationVersionId"],
        "ApplicationConfigurationUpdate": {"ApplicationCodeConfigurationUpdate": {
            "CodeContentTypeUpdate": "ZIPFILE", "CodeContentUpdate": {"S3ContentLocationUpdate": s3_update}}}}
    if app["ApplicationStatus"] == "RUNNING":
        # MSF snapshots the running job, applies the update and restarts it from that snapshot.
        kwargs["RunConfigurationUpdate"] = {"FlinkRunConfiguration": KEEP_STATE,
                                            "ApplicationRestoreConfiguration": RESTORE_LATEST}
    return c.msf.update_application(**kwargs)["ApplicationDetail"]


def start(c: Clients, name: str) -> None:
    # With no snapshot yet (first start) MSF starts without state; afterwards the state comes back.
    c.msf.start_application(ApplicationName=name, RunConfiguration={
        "FlinkRunConfiguration": KEEP_STATE, "ApplicationRestoreConfiguration": RESTORE_LATEST})


def wait_for(c: Clients, name: str, target: str, timeout_s: float, poll_s: float) -> dict[str, Any]:
    """Poll until `target`. Having left a stable state, landing on another stable one (READY after
    a failed start) or ROLLED_BACK is a failure: the job did not come up."""
    deadline = time.monotonic() + timeout_s
    moved = False
    while True:
        app = c.msf.describe_application(ApplicationName=name)["ApplicationDetail"]
        status = app["ApplicationStatus"]
        if status == target:
            return app
        if status == "ROLLED_BACK" or (moved and status in STABLE_STATES):
            raise DeployError(f"application {name} went to {status} instead of {target}: the job failed; see its "
                              f"log group (logger org.apache.flink.client.python.PythonDriver for Python errors)")
        moved = moved or status not in STABLE_STATES
        if time.monotonic() >= deadline:
            raise DeployError(f"application {name} still {status} after {timeout_s:.0f} s (wanted {target})")
        time.sleep(poll_s)


def describe_lines(app: dict[str, Any]) -> list[str]:
    loc, groups = _current(app)
    conf = app.get("ApplicationConfigurationDescription") or {}
    flink = conf.get("FlinkApplicationConfigurationDescription") or {}
    par = flink.get("ParallelismConfigurationDescription") or {}
    snap = (conf.get("ApplicationSnapshotConfigurationDescription") or {}).get("SnapshotsEnabled")
    code = f"s3://{loc.get('BucketARN', '?').split(':::')[-1]}/{loc.get('FileKey', '?')}"
    if loc.get("ObjectVersion"):
        code += f" (version {loc['ObjectVersion']})"
    logs = [o["LogStreamARN"] for o in app.get("CloudWatchLoggingOptionDescriptions") or []]
    # moto's ApplicationDetail lacks ApplicationName (required in the real API): fall back on the ARN.
    return [f"application  {app.get('ApplicationName') or app['ApplicationARN'].rsplit('/', 1)[-1]}",
            f"arn          {app['ApplicationARN']}",
            f"status       {app['ApplicationStatus']}",
            f"version      {app['ApplicationVersionId']}",
            f"runtime      {app['RuntimeEnvironment']}",
            f"code         {code}",
            f"parallelism  {par.get('CurrentParallelism', '?')} (autoscaling {par.get('AutoScalingEnabled', '?')})",
            f"snapshots    {'enabled' if snap else 'disabled'}",
            f"properties   {', '.join(sorted(groups)) or 'none'}",
            f"logs         {', '.join(logs) or 'none configured'}"]


# ---------------------------------------------------------------- commands
def cmd_deploy(c: Clients, args: argparse.Namespace) -> None:
    app = require_application(c.msf, args.app)
    if app["ApplicationStatus"] not in STABLE_STATES:
        raise DeployError(f"application {args.app} is {app['ApplicationStatus']}; deploy when it is READY or "
                          f"RUNNING (python -m tooling.deploy status)")
    have = _current(app)[1].get(MSF_RUN_OPTIONS_GROUP)
    if have != run_options():
        # MSF would accept the code and then fail to start it, minutes later.
        raise DeployError(f"application {args.app}'s {MSF_RUN_OPTIONS_GROUP} is {have}; the package needs "
                          f"{run_options()} (infra/properties.tf local.run_options)")
    if args.zip:
        zip_path = args.zip
        if not zip_path.is_file():
            raise DeployError(f"--zip {zip_path} does not exist")
    else:
        zip_path = build_package(args.out, args.jar)
    key, version, uploaded = upload(c.s3, zip_path, args.bucket, args.key)
    region = c.msf.meta.region_name
    location = {"BucketARN": f"arn:{_partition(region)}:s3:::{args.bucket}", "FileKey": key,
                **({"ObjectVersion": version} if version else {})}
    print(f"code: s3://{args.bucket}/{key}{f' (version {version})' if version else ''} "
          f"{'uploaded' if uploaded else 'already there'}")

    running_update = False
    updated = update(c, args, app, location)
    if updated is None:
        print(f"{args.app}: already on this code, no new version")
    else:
        running_update = app["ApplicationStatus"] == "RUNNING"
        print(f"updated {args.app} to version {updated['ApplicationVersionId']}"
              f"{' (snapshot taken, restarting from it)' if running_update else ''}")
    app = c.msf.describe_application(ApplicationName=args.app)["ApplicationDetail"]
    if not args.no_start and (running_update or app["ApplicationStatus"] != "RUNNING"):
        if app["ApplicationStatus"] == "READY":
            start(c, args.app)
        app = wait_for(c, args.app, "RUNNING", args.timeout, args.poll_seconds)
    print("\n".join(describe_lines(app)))


def cmd_status(c: Clients, args: argparse.Namespace) -> None:
    print("\n".join(describe_lines(require_application(c.msf, args.app))))


def cmd_stop(c: Clients, args: argparse.Namespace) -> None:
    app = require_application(c.msf, args.app)
    if app["ApplicationStatus"] != "READY":
        # Force=False: MSF takes a snapshot before stopping (snapshots are enabled), so the next
        # start resumes from it.
        c.msf.stop_application(ApplicationName=args.app, Force=False)
        app = wait_for(c, args.app, "READY", args.timeout, args.poll_seconds)
    print("\n".join(describe_lines(app)))


def cmd_rollback(c: Clients, args: argparse.Namespace) -> None:
    app = require_application(c.msf, args.app)
    if app["ApplicationStatus"] not in ROLLBACK_STATES:
        raise DeployError(f"application {args.app} is {app['ApplicationStatus']}: MSF rolls back only a RUNNING, "
                          f"UPDATING or AUTOSCALING application; to run older code on a stopped one, deploy that zip "
                          f"(python -m tooling.deploy deploy --zip OLD.zip ...)")
    before = app["ApplicationVersionId"]
    # MSF restores the previous version's configuration and restarts from the latest snapshot.
    c.msf.rollback_application(ApplicationName=args.app, CurrentApplicationVersionId=before)
    app = wait_for(c, args.app, "RUNNING", args.timeout, args.poll_seconds)
    print(f"rolled back {args.app}: version {before} -> {app['ApplicationVersionId']}")
    print("\n".join(describe_lines(app)))


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--app", default=DEFAULT_APP, help=f"application name (default {DEFAULT_APP})")
    common.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    common.add_argument("--endpoint-url", help="endpoint override for every client (moto)")
    common.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for a status (default 900)")
    common.add_argument("--poll-seconds", type=float, default=10.0, help="status polling interval (default 10)")

    p = Parser(prog="python -m tooling.deploy", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("deploy", parents=[common],
                       help="package, upload, move the application to it, start, wait RUNNING")
    d.add_argument("--bucket", required=True, help="code bucket (infra: terraform output -raw code_bucket)")
    d.add_argument("--key",
                   help=f"S3 key (default {KEY_PREFIX}<sha256 prefix>.zip; infra's fixed key: telemetry-job.zip)")
    src = d.add_mutually_exclusive_group()
    src.add_argument("--zip", type=Path, help="deploy this zip instead of building one")
    src.add_argument("--jar", type=Path, default=DEFAULT_JAR, help=f"connector jar to package (default {DEFAULT_JAR})")
    d.add_argument("--out", type=Path, default=Path("build/telemetry-job.zip"), help="where the built zip goes")
    d.add_argument("--no-start", action="store_true", help="update only; do not start or wait")
    for name, text in (("status", "describe the application"),
                       ("stop", "stop with a snapshot (Force=false) and wait READY"),
                       ("rollback", "roll back to the previous version and wait RUNNING")):
        sub.add_parser(name, parents=[common], help=text)
    return p


COMMANDS = {"deploy": cmd_deploy, "status": cmd_status, "stop": cmd_stop, "rollback": cmd_rollback}


def main(argv: list[str] | None = None, clients: Clients | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        c = clients or make_clients(args.region, args.endpoint_url)
        COMMANDS[args.command](c, args)
    except (DeployError, PackageError) as e:
        print(f"deploy: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # botocore errors: one line, not a traceback
        if not (_code(e) or type(e).__module__.startswith("botocore")):
            raise
        if _code(e) == "ResourceNotFoundException":
            print(f"deploy: error: application {args.app} not found ({e})", file=sys.stderr)
        else:
            print(f"deploy: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

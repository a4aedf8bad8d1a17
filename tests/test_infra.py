"""Static checks of the Terraform in infra/ (no Terraform binary or provider registry here).

- every .tf / .tfvars file parses (python-hcl2);
- checkov finds no failed check, and every skip carries a reason;
- the application's environment properties use exactly the groups/keys of jobs/config.py
  SCHEMA, include every required key, and take resource values from resources;
- DynamoDB key schemas match jobs/io.py OUTPUTS;
- IAM policy documents: no "*" action, no "*" resource on data services, and the MSF
  execution role holds exactly the actions the connectors call.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is a dev dependency")

from jobs import config as job_config  # noqa: E402
from jobs.outputs import BY_VIEW, OUTPUTS  # noqa: E402

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"
MODULES = INFRA / "modules"
RUN_OPTIONS = job_config.MSF_RUN_OPTIONS_GROUP
DATA_SERVICES = ("kinesis", "firehose", "dynamodb", "s3")

# The calls the connectors (and MSF itself, for the code zip) make with the execution role.
EXPECTED_EXECUTION_ACTIONS = {
    # Kinesis source 6.x, polling
    "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords",
    # Kinesis source 6.x, EFO (only rendered when efo_consumer_name is set)
    "kinesis:RegisterStreamConsumer", "kinesis:DeregisterStreamConsumer",
    "kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard",
    # sinks
    "kinesis:PutRecords", "firehose:PutRecordBatch", "dynamodb:BatchWriteItem",
    # code zip, logging, the pipeline key
    "s3:GetObject", "s3:GetObjectVersion",
    "logs:DescribeLogStreams", "logs:PutLogEvents",
    "kms:Decrypt", "kms:GenerateDataKey",
}
EFO_ACTIONS = {"kinesis:RegisterStreamConsumer", "kinesis:DeregisterStreamConsumer",
               "kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"}


# ---------------------------------------------------------------- parsing helpers
_META = {"__is_block__", "__start_line__", "__end_line__", "__comments__", "__inline_comments__"}


def _unquote(s: str) -> str:
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s


def _norm(x):
    """python-hcl2 8.x keeps the quotes of string literals and adds block markers: drop both."""
    if isinstance(x, dict):
        return {_unquote(k): _norm(v) for k, v in x.items() if k not in _META}
    if isinstance(x, list):
        return [_norm(i) for i in x]
    if isinstance(x, str):
        return _unquote(x)
    return x


@lru_cache(maxsize=None)
def _parse(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return _norm(hcl2.load(f))


def tf_files() -> list[Path]:
    return sorted(INFRA.rglob("*.tf"))


def _blocks(kind: str, directory: Path) -> list[tuple[Path, dict]]:
    out = []
    for path in sorted(directory.glob("*.tf")):
        for block in _parse(path).get(kind, []):
            out.append((path, block))
    return out


def _typed(kind: str, directory: Path, type_: str) -> dict[str, dict]:
    """name -> body of every `kind "type_" "name"` block (resource, data) in directory."""
    found = {}
    for _, block in _blocks(kind, directory):
        found.update(block.get(type_, {}))
    return found


def resources(directory: Path, rtype: str) -> dict[str, dict]:
    return _typed("resource", directory, rtype)


def data_sources(directory: Path, dtype: str) -> dict[str, dict]:
    return _typed("data", directory, dtype)


def _merged(kind: str, directory: Path) -> dict:
    """Every `locals` entry, or every `module "name"` call, of directory in one dict."""
    merged = {}
    for _, block in _blocks(kind, directory):
        merged.update(block)
    return merged


def root_locals() -> dict:
    return _merged("locals", INFRA)


def root_modules() -> dict[str, dict]:
    return _merged("module", INFRA)


ALL_DIRS = [INFRA, *sorted(p for p in MODULES.iterdir() if p.is_dir())]


def _one(block_list):
    """A nested block: python-hcl2 gives a list with one dict."""
    assert isinstance(block_list, list) and len(block_list) == 1, block_list
    return block_list[0]


def _as_list(x) -> list:
    return x if isinstance(x, list) else [x]


# ---------------------------------------------------------------- 1. parsing
@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_tf_file_parses(path):
    doc = _parse(path)
    assert isinstance(doc, dict) and doc, f"{path} parsed to nothing"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH (fmt needs no providers)")
def test_terraform_fmt_is_clean():
    # `terraform fmt` needs neither providers nor credentials: the one Terraform check that runs offline.
    proc = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff"], cwd=INFRA,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "TF_CLI_CONFIG_FILE": ""})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]


def test_every_module_has_inputs_and_outputs_with_descriptions():
    assert {p.name for p in ALL_DIRS[1:]} >= {"kms_key", "kinesis_stream", "s3_bucket", "firehose_s3",
                                             "dynamodb_table", "flink_app", "alert_fanout", "alarms",
                                             "iot_ingest", "http_ingest"}
    for directory in ALL_DIRS:
        variables = _blocks("variable", directory)
        outputs = _blocks("output", directory)
        assert variables and outputs, f"{directory} needs variables.tf and outputs.tf"
        for _, block in variables:
            for name, body in block.items():
                assert body.get("description") and body.get("type"), f"{directory.name}: variable {name}"
        for _, block in outputs:
            for name, body in block.items():
                assert body.get("description"), f"{directory.name}: output {name}"


def test_example_tfvars_parses_and_names_only_root_variables():
    example = INFRA / "environments" / "example.tfvars"
    values = _parse(example)
    declared = {name for _, block in _blocks("variable", INFRA) for name in block}
    assert values and set(values) <= declared, set(values) - declared
    required = {name for _, block in _blocks("variable", INFRA) for name, body in block.items()
                if "default" not in body}
    assert required <= set(values), f"example.tfvars misses required variables {required - set(values)}"


def test_no_parallelism_constraint_left_from_the_sql_source():
    # The source has per-shard watermarks now: parallelism below the shard count is correct.
    assert not [b for _, b in _blocks("check", INFRA) if "parallelism_covers_shards" in b]


def test_provider_pinned_for_flink_2_2():
    terraform = _one(_parse(INFRA / "versions.tf")["terraform"])
    assert terraform["required_version"]
    aws = _one(terraform["required_providers"])["aws"]
    assert aws["source"] == "hashicorp/aws"
    # FLINK-2_2 was first accepted after v6.39.0 (terraform-provider-aws#47203).
    assert re.search(r">=\s*6\.(4\d|[5-9]\d)", aws["version"]) and "< 7" in aws["version"], aws["version"]


# ---------------------------------------------------------------- 2. checkov
def _checkov() -> str | None:
    candidates = [os.environ.get("CHECKOV"), str(Path(sys.executable).parent / "checkov"),
                  str(ROOT / "build" / "checkov-venv" / "bin" / "checkov"), shutil.which("checkov")]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


def test_checkov_passes():
    exe = _checkov()
    if exe is None:
        pytest.skip("checkov not installed (set CHECKOV=/path/to/checkov; it pins boto3/packaging, "
                    "so keep it in its own virtual environment)")
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    proc = subprocess.run([exe, "-d", str(INFRA), "--framework", "terraform", "--compact", "-o", "json",
                           "--skip-download"],
                          capture_output=True, text=True, timeout=110, env=env, cwd=ROOT)
    assert proc.stdout.strip(), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    failed, skipped, passed = [], [], 0
    for r in reports:
        failed += r["results"].get("failed_checks", [])
        skipped += r["results"].get("skipped_checks", [])
        passed += r["summary"]["passed"]
        assert r["summary"]["parsing_errors"] == 0
    assert passed > 100
    assert not failed, "\n".join(f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
                                 for c in failed)
    for c in skipped:
        reason = (c.get("check_result") or {}).get("suppress_comment") or ""
        assert len(reason.strip()) >= 20, f"{c['check_id']} on {c['resource']} is skipped without a reason"


# ---------------------------------------------------------------- 3. properties vs jobs/config.py SCHEMA
SCHEMA_KEYS = {(k.group, k.name) for k in job_config.SCHEMA}
SCHEMA_GROUPS = {k.group for k in job_config.SCHEMA}
REQUIRED_KEYS = {(k.group, k.name) for k in job_config.SCHEMA if k.required}
# Values that name an AWS resource: they must come from that resource, never a literal.
RESOURCE_KEYS = {("source.telemetry", "stream.arn"), *((o.config_group, o.target_option) for o in OUTPUTS)}
# The root module that makes each output's target (jobs/outputs.py), and the module it must be.
# A new output fails test_every_output_has_its_infra until infra/ has it and it is named here.
OUTPUT_MODULES = {"fast_laps": "fast_laps_delivery", "dead_letters": "dead_letter_delivery",
                  "window_aggregates": "window_aggregates_table", "latest_state": "latest_state_table",
                  "alerts": "alert_stream", "raw_archive": "raw_archive_delivery"}
MODULE_SOURCE = {"firehose": "./modules/firehose_s3", "kinesis": "./modules/kinesis_stream",
                 "dynamodb": "./modules/dynamodb_table"}


def _target_reference(output) -> str:
    return f"${{module.{OUTPUT_MODULES[output.view]}.{'arn' if output.connector == 'kinesis' else 'name'}}}"


def test_every_output_has_its_infra():
    """Each output: a module of the right kind, its config key in properties.tf from that module,
    and the job's execution role allowed to write to it."""
    missing = sorted(set(BY_VIEW) - set(OUTPUT_MODULES))
    assert not missing, (f"outputs without Terraform: {missing}; add a module to infra/main.tf (see "
                         f"docs/adding-an-output.md) and name it in OUTPUT_MODULES")
    assert set(OUTPUT_MODULES) == set(BY_VIEW), "OUTPUT_MODULES names an output jobs/outputs.py does not declare"
    modules, props, app = root_modules(), _job_properties(), root_modules()["flink_app"]
    writable = {"firehose": app["delivery_stream_arns"], "dynamodb": app["table_arns"],
                "kinesis": [app["alert_stream_arn"]]}
    for o in OUTPUTS:
        module = OUTPUT_MODULES[o.view]
        assert modules[module]["source"] == MODULE_SOURCE[o.connector], o.view
        assert props[o.config_group][o.target_option] == _target_reference(o), o.view
        assert f"${{module.{module}.arn}}" in writable[o.connector], f"the job may not write to {module}"


def _job_properties() -> dict[str, dict[str, str]]:
    return root_locals()["job_properties"]


def test_properties_use_only_schema_groups_and_keys():
    props = _job_properties()
    assert RUN_OPTIONS not in props  # kept apart in local.run_options
    unknown = {(g, k) for g, keys in props.items() for k in keys} - SCHEMA_KEYS
    assert not unknown, f"Terraform sets keys jobs/config.py does not know: {sorted(unknown)}"


def test_properties_include_every_required_key():
    props = _job_properties()
    present = {(g, k) for g, keys in props.items() for k in keys}
    assert REQUIRED_KEYS <= present, f"missing required keys: {sorted(REQUIRED_KEYS - present)}"
    assert RESOURCE_KEYS <= REQUIRED_KEYS


def test_resource_valued_properties_reference_resources():
    props = _job_properties()
    for group, key in RESOURCE_KEYS:
        value = props[group][key]
        assert re.fullmatch(r"\$\{module\.[a-z_]+\.(arn|name)\}", value), f"{group}.{key} = {value!r}"
    assert props["source.telemetry"]["stream.arn"] == "${module.telemetry_stream.arn}"
    assert props["aws"]["region"].startswith("${") and "region" in props["aws"]["region"]


def test_run_options_group():
    run = root_locals()["run_options"][RUN_OPTIONS]
    assert run["python"] == "main.py"
    assert run["jarfile"].startswith("lib/") and run["jarfile"].endswith(".jar")
    assert run["jarfile"] == "lib/telemetry-connectors.jar"  # connectors/pom.xml finalName


def test_application_renders_property_groups_from_the_one_map():
    locals_ = root_locals()
    merged = locals_["application_properties"]
    assert "local.job_properties" in locals_["job_properties_set"] and "v != null" in locals_["job_properties_set"]
    assert "local.job_properties_set" in merged and "var.property_overrides" in merged \
        and "local.run_options" in merged
    assert root_modules()["flink_app"]["property_groups"] == "${local.application_properties}"

    app = resources(MODULES / "flink_app", "aws_kinesisanalyticsv2_application")["this"]
    env = _one(_one(app["application_configuration"])["environment_properties"])
    dynamic = _one(env["dynamic"])["property_group"]
    assert dynamic["for_each"] == "${var.property_groups}"
    content = _one(dynamic["content"])
    assert content["property_group_id"] == "${property_group.key}"
    assert content["property_map"] == "${property_group.value}"
    assert "property_group" not in env  # no hand-written group beside the map


def test_override_variable_accepts_exactly_the_schema_groups():
    var = next(b["property_overrides"] for _, b in _blocks("variable", INFRA) if "property_overrides" in b)
    group_rule, protected_rule = var["validation"]
    allowed = set(re.findall(r'"([^"]+)"', group_rule["condition"]))
    assert allowed == SCHEMA_GROUPS
    protected = set(re.findall(r'"([^"$]+)"', protected_rule["condition"]))
    assert {f"{g}.{k}" for g, k in REQUIRED_KEYS} <= protected
    assert {f"{g}.{k}" for g, k in SCHEMA_KEYS} >= protected


def test_example_overrides_are_valid_job_properties():
    overrides = _parse(INFRA / "environments" / "example.tfvars")["property_overrides"]
    by_key = {(k.group, k.name): k for k in job_config.SCHEMA}
    for group, keys in overrides.items():
        for key, value in keys.items():
            assert (group, key) in by_key, f"{group}.{key} is not in jobs/config.py SCHEMA"
            by_key[(group, key)].parse(value)  # raises on a value the job would reject


def test_rendered_document_is_accepted_by_the_job():
    """Substitute plausible resource values and let jobs.config.parse judge the whole document."""
    arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/"
    fake = {
        "${module.telemetry_stream.arn}": arn + "demo-telemetry",
        **{_target_reference(o): (arn if o.connector == "kinesis" else "") + f"demo-telemetry-{o.name}"
           for o in OUTPUTS},
        "${var.source_init_position}": "LATEST",
    }
    groups: dict[str, dict[str, str]] = {}
    for group, keys in _job_properties().items():
        for key, value in keys.items():
            if key == "region":
                value = "eu-west-1"
            elif key == "reader.type":
                value = "POLLING"
            elif key == "efo.consumer.name":
                continue  # null when polling, dropped by the for-expression
            groups.setdefault(group, {})[key] = fake.get(value, value)
    overrides = _parse(INFRA / "environments" / "example.tfvars")["property_overrides"]
    for group, keys in overrides.items():
        groups[group] = {**keys, **groups.get(group, {})}
    groups.update(root_locals()["run_options"])
    document = job_config.document(groups)
    cfg = job_config.parse(document, "terraform")
    assert cfg.get("sink.fast-laps", "delivery-stream") == "demo-telemetry-fast-laps"


# ---------------------------------------------------------------- 4. DynamoDB keys vs jobs/io.py
def test_dynamodb_key_schemas_match_job_outputs():
    modules = root_modules()
    for o in OUTPUTS:
        if o.connector == "dynamodb":
            m = modules[OUTPUT_MODULES[o.view]]
            declared = (m["hash_key"],) + ((m["range_key"],) if m.get("range_key") else ())
            assert declared == o.key, f"{OUTPUT_MODULES[o.view]}: {declared} != {o.key}"

    table = resources(MODULES / "dynamodb_table", "aws_dynamodb_table")["this"]
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert _one(table["point_in_time_recovery"])["enabled"] is True
    assert _one(table["server_side_encryption"])["enabled"] is True
    assert _one(table["attribute"])["type"] == "S"
    assert _one(_one(table["dynamic"])["attribute"]["content"])["type"] == "S"


# ---------------------------------------------------------------- 5. IAM
def _statements(doc: dict) -> list[dict]:
    """Static statement blocks and the content of dynamic "statement" blocks."""
    out = list(doc.get("statement", []))
    for dyn in doc.get("dynamic", []):
        if "statement" in dyn:
            out.append({**_one(dyn["statement"]["content"]), "__dynamic_for_each__": dyn["statement"]["for_each"]})
    return out


def _all_policy_documents() -> list[tuple[str, str, dict]]:
    docs = []
    for directory in ALL_DIRS:
        for name, doc in data_sources(directory, "aws_iam_policy_document").items():
            docs.append((directory.name, name, doc))
    return docs


def test_policy_documents_have_no_wildcards_on_data():
    docs = _all_policy_documents()
    # Every permission the stack grants is in one of these, or in the fleet view's read-only
    # policy (infra/fleet_view.tf, checked in tests/test_fleet_view.py and by the loop below);
    # a new one must be listed here.
    assert sorted((m, n) for m, n, _ in docs if (m, n) != ("infra", "fleet_view")) == [
        ("alert_fanout", "pipe"), ("firehose_s3", "delivery"), ("flink_app", "execution"), ("http_ingest", "put"),
        ("iot_ingest", "put"),
        ("s3_bucket", "tls_only"), ("service_role", "assume")]
    for module, name, doc in docs:
        for st in _statements(doc):
            effect = st.get("effect", "Allow")
            actions = _as_list(st.get("actions", []))
            resources_ = _as_list(st.get("resources", []))
            where = f"{module}/{name}/{st.get('sid', '?')}"
            assert "*" not in actions, where
            if effect == "Deny":
                continue  # e.g. the buckets' deny-non-TLS statement (s3:* on the bucket)
            if st.get("principals"):
                continue  # trust policies
            assert actions and resources_, where
            # cloudwatch:GetMetricData has no resource-level permissions: "*" is all it takes.
            if actions != ["cloudwatch:GetMetricData"]:
                assert "*" not in resources_, where
            for action in actions:
                service = action.split(":")[0]
                assert "*" not in action, f"{where}: wildcard action {action}"
                if service in DATA_SERVICES:
                    for res in resources_:
                        assert res != "*" and not res.endswith(":*:*"), f"{where}: {res}"


SERVICE_ROLES = {"flink_app": "kinesisanalytics.amazonaws.com", "firehose_s3": "firehose.amazonaws.com",
                 "alert_fanout": "pipes.amazonaws.com", "iot_ingest": "iot.amazonaws.com",
                 "http_ingest": "apigateway.amazonaws.com"}


def test_role_policies_use_policy_documents():
    policy_doc = r"\$\{data\.aws_iam_policy_document\.[a-z_]+\.json\}"
    for directory in ALL_DIRS:
        for name, rp in resources(directory, "aws_iam_role_policy").items():
            # service_role attaches what its caller built; the callers are checked below.
            allowed = r"\$\{var\.policy_json\}" if directory.name == "service_role" else policy_doc
            assert re.fullmatch(allowed, rp["policy"]), f"{directory.name}/{name}: inline policy escapes the IAM checks"
        for name, call in _merged("module", directory).items():
            if call["source"] == "../service_role":
                assert re.fullmatch(policy_doc, call["policy_json"]), f"{directory.name}/{name}"
        assert not resources(directory, "aws_iam_policy_attachment")
        assert not resources(directory, "aws_iam_role_policy_attachment")  # no managed (broad) policies


def test_execution_role_has_exactly_the_connector_actions():
    docs = data_sources(MODULES / "flink_app", "aws_iam_policy_document")
    statements = {st["sid"]: st for st in _statements(docs["execution"])}
    actions = {a for st in statements.values() for a in st["actions"]}
    assert actions == EXPECTED_EXECUTION_ACTIONS, (actions ^ EXPECTED_EXECUTION_ACTIONS)

    expected_resources = {
        "ReadTelemetryStream": ["${var.telemetry_stream_arn}"],
        "RegisterEfoConsumer": ["${var.telemetry_stream_arn}", "${local.efo_consumer_arn}"],
        "ReadThroughEfoConsumer": ["${local.efo_consumer_arn}"],
        "WriteAlertStream": ["${var.alert_stream_arn}"],
        "WriteDeliveryStreams": "${var.delivery_stream_arns}",
        "WriteTables": "${var.table_arns}",
        "ReadApplicationCode": ["${var.code_bucket_arn}/${var.code_object_key}"],
        "WriteLogs": ["${aws_cloudwatch_log_stream.this.arn}"],
        "UsePipelineKey": ["${var.kms_key_arn}"],
    }
    for sid, res in expected_resources.items():
        assert statements[sid]["resources"] == res, sid
    # EFO actions only exist when an EFO consumer is configured.
    for st in statements.values():
        if set(st["actions"]) & EFO_ACTIONS:
            assert set(st["actions"]) <= EFO_ACTIONS
            assert "var.efo_consumer_name == null" in st["__dynamic_for_each__"]
    assert "/consumer/${var.efo_consumer_name}:*" in _merged("locals", MODULES / "flink_app")["efo_consumer_arn"]

    # The root wires exactly the three delivery streams and the two tables.
    app = root_modules()["flink_app"]
    assert app["delivery_stream_arns"] == ["${module.fast_laps_delivery.arn}", "${module.dead_letter_delivery.arn}",
                                           "${module.raw_archive_delivery.arn}"]
    assert app["table_arns"] == ["${module.window_aggregates_table.arn}", "${module.latest_state_table.arn}"]


def test_trust_policies_pin_service_and_account():
    st = _one(data_sources(MODULES / "service_role", "aws_iam_policy_document")["assume"]["statement"])
    assert st["actions"] == ["sts:AssumeRole"]
    assert _one(st["principals"])["identifiers"] == ["${var.service}"]
    cond = _one(st["condition"])
    assert cond["variable"] == "aws:SourceAccount" and cond["test"] == "StringEquals"
    assert cond["values"] == ["${data.aws_caller_identity.current.account_id}"]
    # Every role is a service_role, each for exactly its service; no other trust policy exists.
    for module, principal in SERVICE_ROLES.items():
        calls = [c for c in _merged("module", MODULES / module).values() if c["source"] == "../service_role"]
        assert [c["service"] for c in calls] == [principal], module
    assert set(_roles_outside_service_role()) == set()


def _roles_outside_service_role() -> list[str]:
    return [f"{d.name}/{n}" for d in ALL_DIRS if d.name != "service_role"
            for n in resources(d, "aws_iam_role")]


def test_other_roles_are_scoped():
    policies = data_sources(MODULES / "alert_fanout", "aws_iam_policy_document")
    pipe = {st["sid"]: st for st in _statements(policies["pipe"])}
    assert pipe["ReadAlertStream"]["resources"] == ["${var.alert_stream_arn}"]
    assert pipe["PublishToTopic"]["actions"] == ["sns:Publish"]
    assert pipe["PublishToTopic"]["resources"] == ["${aws_sns_topic.this.arn}"]

    iot = {st["sid"]: st for st in _statements(data_sources(MODULES / "iot_ingest", "aws_iam_policy_document")["put"])}
    assert iot["PutTelemetry"]["actions"] == ["kinesis:PutRecord"]
    assert iot["PutTelemetry"]["resources"] == ["${var.telemetry_stream_arn}"]

    firehose = {st["sid"]: st for st in
                _statements(data_sources(MODULES / "firehose_s3", "aws_iam_policy_document")["delivery"])}
    assert firehose["WriteOwnPrefixes"]["resources"] == ["${var.bucket_arn}/${var.prefix}*",
                                                         "${var.bucket_arn}/${var.error_prefix}*"]
    assert firehose["BucketLevel"]["resources"] == ["${var.bucket_arn}"]


# ---------------------------------------------------------------- 6. the rest of the brief, statically
def test_msf_application_settings():
    app = resources(MODULES / "flink_app", "aws_kinesisanalyticsv2_application")["this"]
    assert app["runtime_environment"] == "FLINK-2_2"
    conf = _one(app["application_configuration"])
    code = _one(conf["application_code_configuration"])
    assert code["code_content_type"] == "ZIPFILE"
    s3 = _one(_one(code["code_content"])["s3_content_location"])
    assert s3["bucket_arn"] == "${var.code_bucket_arn}" and s3["file_key"] == "${var.code_object_key}"
    assert _one(conf["application_snapshot_configuration"])["snapshots_enabled"] is True
    flink = _one(conf["flink_application_configuration"])
    assert _one(flink["checkpoint_configuration"])["checkpointing_enabled"] is True
    monitoring = _one(flink["monitoring_configuration"])
    assert monitoring["log_level"] == "INFO" and monitoring["metrics_level"]
    par = _one(flink["parallelism_configuration"])
    assert par["parallelism_per_kpu"] == 1 and par["auto_scaling_enabled"] == "${var.auto_scaling_enabled}"
    restore = _one(_one(conf["run_configuration"])["application_restore_configuration"])
    assert restore["application_restore_type"] == "RESTORE_FROM_LATEST_SNAPSHOT"
    assert _one(app["cloudwatch_logging_options"])["log_stream_arn"] == "${aws_cloudwatch_log_stream.this.arn}"
    # One owner per setting: the code location after creation is tooling.deploy's, the rest Terraform's.
    assert _one(app["lifecycle"])["ignore_changes"] == [
        "${application_configuration[0].application_code_configuration[0].code_content}"]


def test_firehose_delivery_streams():
    fh = resources(MODULES / "firehose_s3", "aws_kinesis_firehose_delivery_stream")["this"]
    assert _one(fh["server_side_encryption"])["enabled"] is True
    s3 = _one(fh["extended_s3_configuration"])
    assert "!{timestamp:" in s3["prefix"] and "!{timestamp:" in s3["error_output_prefix"]
    assert "!{firehose:error-output-type}" in s3["error_output_prefix"]
    assert s3["buffering_size"] and s3["buffering_interval"] and s3["compression_format"]
    # The job writes newline-terminated lines itself: no AppendDelimiterToRecord processor.
    assert "processing_configuration" not in s3
    assert _one(s3["cloudwatch_logging_options"])["enabled"] is True
    modules = root_modules()
    assert modules["fast_laps_delivery"]["bucket_arn"] == "${module.processed_bucket.arn}"
    assert modules["dead_letter_delivery"]["bucket_arn"] == "${module.dead_letter_bucket.arn}"


def test_buckets_are_private_encrypted_and_tls_only():
    d = MODULES / "s3_bucket"
    pab = resources(d, "aws_s3_bucket_public_access_block")["this"]
    assert all(pab[k] is True for k in ("block_public_acls", "block_public_policy",
                                        "ignore_public_acls", "restrict_public_buckets"))
    sse = resources(d, "aws_s3_bucket_server_side_encryption_configuration")["this"]
    assert _one(_one(sse["rule"])["apply_server_side_encryption_by_default"])["sse_algorithm"] == "aws:kms"
    assert _one(resources(d, "aws_s3_bucket_versioning")["this"]["versioning_configuration"])["status"] == "Enabled"
    assert _one(resources(d, "aws_s3_bucket_ownership_controls")["this"]["rule"])["object_ownership"] \
        == "BucketOwnerEnforced"
    deny = _one(data_sources(d, "aws_iam_policy_document")["tls_only"]["statement"])
    assert deny["effect"] == "Deny" and _one(deny["condition"])["variable"] == "aws:SecureTransport"
    modules = root_modules()
    assert modules["processed_bucket"]["expiration_days"] and modules["dead_letter_bucket"]["expiration_days"]


def test_alerting_and_alarms():
    pipe = resources(MODULES / "alert_fanout", "aws_pipes_pipe")["this"]
    assert pipe["source"] == "${var.alert_stream_arn}" and pipe["target"] == "${aws_sns_topic.this.arn}"
    topic = resources(MODULES / "alert_fanout", "aws_sns_topic")["this"]
    assert topic["kms_master_key_id"] == "${var.kms_key_arn}"
    alarms = resources(MODULES / "alarms", "aws_cloudwatch_metric_alarm")
    metrics = set()
    for alarm in alarms.values():
        assert alarm["alarm_actions"] == "${local.actions}"
        if "metric_name" in alarm:
            metrics.add(alarm["metric_name"])
        for q in alarm.get("metric_query", []):
            if "metric" in q:
                metrics.add(_one(q["metric"])["metric_name"])
    assert {"GetRecords.IteratorAgeMilliseconds", "numberOfFailedCheckpoints", "downtime",
            "numRestarts", "IncomingRecords"} <= metrics


def test_iot_rule_is_optional_and_keyed_by_vehicle():
    assert root_modules()["iot_ingest"]["count"] == "${var.enable_iot ? 1 : 0}"
    rule = resources(MODULES / "iot_ingest", "aws_iot_topic_rule")["this"]
    kinesis = _one(rule["kinesis"])
    assert kinesis["partition_key"] in ("$${topic(2)}", "${topic(2)}")
    assert kinesis["role_arn"] == "${module.role.arn}"


def test_http_ingest_is_optional_validated_and_scoped():
    call = root_modules()["http_ingest"]
    assert call["count"] == "${var.enable_http_ingest ? 1 : 0}"
    # The API's model is the parser's own contract file, not a copy.
    assert call["record_schema_json"] == '${file("${path.module}/../udfs/telemetry_record.schema.json")}'
    assert (INFRA / ".." / "udfs" / "telemetry_record.schema.json").is_file()
    assert call["telemetry_stream_name"] == "${module.telemetry_stream.name}"
    assert call["telemetry_stream_arn"] == "${module.telemetry_stream.arn}"
    assert "local.http_ingest_log_group_arn_patterns" in root_modules()["kms"]["log_group_arn_patterns"]

    d = MODULES / "http_ingest"
    put = {st["sid"]: st for st in _statements(data_sources(d, "aws_iam_policy_document")["put"])}
    assert put["PutTelemetry"]["actions"] == ["kinesis:PutRecord", "kinesis:PutRecords"]
    assert put["PutTelemetry"]["resources"] == ["${var.telemetry_stream_arn}"]
    assert put["EncryptTelemetry"] == {"sid": "EncryptTelemetry", "actions": ["kms:GenerateDataKey"],
                                       "resources": ["${var.kms_key_arn}"]}
    routes = _merged("locals", d)["routes"]
    assert {r["action"] for r in routes.values()} == {"PutRecord", "PutRecords"}
    assert resources(d, "aws_api_gateway_model")["record"]["schema"] == "${var.record_schema_json}"
    assert resources(d, "aws_api_gateway_request_validator")["body"]["validate_request_body"] is True
    method = resources(d, "aws_api_gateway_method")["post"]
    assert method["request_validator_id"] == "${aws_api_gateway_request_validator.body.id}"
    assert method["request_models"] == {"application/json": "${each.value.model}"}
    # Never open: no key means IAM (var.auth admits api_key, iam, iam_and_api_key only).
    assert method["api_key_required"] == "${local.use_key}"
    assert method["authorization"] == '${local.use_iam ? "AWS_IAM" : "NONE"}'
    ingest_locals = _merged("locals", d)
    assert ingest_locals["use_key"] == '${contains(["api_key", "iam_and_api_key"], var.auth)}'
    assert ingest_locals["use_iam"] == '${contains(["iam", "iam_and_api_key"], var.auth)}'
    integration = resources(d, "aws_api_gateway_integration")["kinesis"]
    assert (integration["type"], integration["passthrough_behavior"]) == ("AWS", "NEVER")
    assert integration["credentials"] == "${module.role.arn}"
    assert integration["uri"].endswith(":kinesis:action/${each.value.action}")
    stage = resources(d, "aws_api_gateway_stage")["this"]
    assert stage["xray_tracing_enabled"] is True
    assert stage["variables"] == {"stream_name": "${var.telemetry_stream_name}"}
    assert _one(stage["access_log_settings"])["destination_arn"] == "${aws_cloudwatch_log_group.access.arn}"
    for group in resources(d, "aws_cloudwatch_log_group").values():
        assert group["kms_key_id"] == "${var.kms_key_arn}" and group["retention_in_days"]
    settings = _one(resources(d, "aws_api_gateway_method_settings")["all"]["settings"])
    assert settings["metrics_enabled"] is True and settings["data_trace_enabled"] is False
    plan = resources(d, "aws_api_gateway_usage_plan")["this"]
    assert _one(plan["throttle_settings"]) == {"rate_limit": "${var.key_throttle.rate_limit}",
                                               "burst_limit": "${var.key_throttle.burst_limit}"}
    assert "quota_settings" in _one(plan["dynamic"])

"""The job's metrics in CloudWatch: the dashboard (infra/modules/dashboard) and the dead-letter
ratio alarm (infra/modules/alarms), checked against udfs/metric_names.py.

Static like tests/test_infra.py, plus `terraform console` where a Terraform binary is on PATH: the
dashboard body and the alarm's expression are built in locals-only files (body.tf,
dead_letter_ratio.tf) that need no provider, so the test renders them with the root module's
values and checks what CloudWatch would receive.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

from tests.test_infra import INFRA, MODULES, _blocks, _one, _parse, resources, root_locals, root_modules
from udfs import metric_names as mn
from udfs.telemetry import HEARTBEAT, PARSER_MISMATCH, REASONS

pytestmark = pytest.mark.unit

DASHBOARD = MODULES / "dashboard"
ALARMS = MODULES / "alarms"
APP = "demo-telemetry-job"
GRID_WIDTH = 24
# Metric ids in CloudWatch metric math: a lower-case letter, then letters, digits and _.
METRIC_ID = re.compile(r"[a-z][A-Za-z0-9_]*")
STATS = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
MATH_FUNCTIONS = {"IF", "FILL", "SEARCH", "SUM", "DIFF", "RATE", "METRICS", "MAX", "MIN", "AVG", "PERIOD",
                  "AND", "OR", "NOT"}
MAX_ALARM_METRICS = 10   # CloudWatch: a metric math alarm may reference at most 10 metrics (hard limit)

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None,
                                     reason="no terraform binary on PATH (console renders locals without providers)")


# ---------------------------------------------------------------- the names, one place
def test_metric_names_module_is_the_one_place():
    assert mn.METRIC_GROUP == "kinesisanalytics"
    assert mn.NAMESPACE == "AWS/KinesisAnalytics"
    assert set(mn.DIMENSIONS) == {mn.RECORDS_READ, mn.RECORDS_VALID, mn.RECORDS_REJECTED, mn.ALERTS}
    assert mn.DIMENSIONS[mn.RECORDS_REJECTED] == ("Reason",)
    assert mn.DIMENSIONS[mn.ALERTS] == ("Rule", "Channel")
    assert mn.DIMENSIONS[mn.RECORDS_READ] == mn.DIMENSIONS[mn.RECORDS_VALID] == ()
    # Every reason a dead letter can carry: the parser's, and duplicate (decided in SQL).
    assert mn.DEAD_LETTER_REASONS == (*REASONS, "duplicate")
    assert mn.BAD_DATA_REASONS == tuple(r for r in mn.DEAD_LETTER_REASONS if r not in (HEARTBEAT, PARSER_MISMATCH))
    # CloudWatch metric names and dimension names: letters and digits only (MSF's rule for custom metrics).
    for name, dims in mn.DIMENSIONS.items():
        assert re.fullmatch(r"[A-Za-z0-9]+", name) and all(re.fullmatch(r"[A-Za-z0-9]+", d) for d in dims)


def test_the_java_counters_use_the_same_names():
    # The counters are registered in Java (JobMetrics.java); the dashboard is built from Python's names.
    java = (Path(__file__).resolve().parent.parent / "connectors" / "src" / "main" / "java" / "io" / "telemetry"
            / "flink" / "JobMetrics.java").read_text()
    constants = dict(re.findall(r'public static final String (\w+) = "([^"]*)";', java))
    assert constants == {"GROUP": mn.METRIC_GROUP, "RECORDS_READ": mn.RECORDS_READ, "RECORDS_VALID": mn.RECORDS_VALID,
                         "RECORDS_REJECTED": mn.RECORDS_REJECTED, "ALERTS": mn.ALERTS}
    assert '.addGroup("Reason", reason)' in java


def test_root_locals_are_udfs_metric_names():
    locals_ = root_locals()
    assert locals_["job_metrics"] == {
        "namespace": mn.NAMESPACE,
        "records_read": mn.RECORDS_READ,
        "records_valid": mn.RECORDS_VALID,
        "records_rejected": mn.RECORDS_REJECTED,
        "alerts": mn.ALERTS,
        "reason_dimension": mn.DIMENSIONS[mn.RECORDS_REJECTED][0],
        "rule_dimension": mn.DIMENSIONS[mn.ALERTS][0],
        "channel_dimension": mn.DIMENSIONS[mn.ALERTS][1],
    }
    assert locals_["dead_letter_reasons"] == list(mn.DEAD_LETTER_REASONS)
    assert locals_["bad_data_reasons"] == list(mn.BAD_DATA_REASONS)
    assert HEARTBEAT not in locals_["bad_data_reasons"]


def test_dashboard_and_alarm_are_wired_from_the_root():
    modules = root_modules()
    dash, alarms = modules["dashboard"], modules["alarms"]
    assert dash["source"] == "./modules/dashboard"
    assert dash["application_name"] == "${module.flink_app.application_name}"
    assert dash["telemetry_stream_name"] == "${module.telemetry_stream.name}"
    assert dash["alert_stream_name"] == "${module.alert_stream.name}"
    assert dash["job_metrics"] == alarms["job_metrics"] == "${local.job_metrics}"
    assert dash["dead_letter_reasons"] == "${local.dead_letter_reasons}"
    assert alarms["bad_data_reasons"] == "${local.bad_data_reasons}"
    # One definition of the ratio: the dashboard charts what the alarm watches.
    assert dash["dead_letter_ratio"] == "${module.alarms.dead_letter_ratio}"
    assert dash["dead_letter_ratio_percent"] == "${module.alarms.dead_letter_ratio_percent}"
    for key in ("ratio_percent", "period_s", "evaluation_periods", "datapoints_to_alarm", "min_records"):
        assert f"var.dead_letter_alarm.{key}" in alarms[f"dead_letter_{key}" if key != "ratio_percent"
                                                     else "dead_letter_ratio_percent"], key
    board = resources(DASHBOARD, "aws_cloudwatch_dashboard")["this"]
    assert board["dashboard_body"] == "${jsonencode(local.body)}"
    assert board["dashboard_name"] == "${var.name}"


def test_dead_letter_alarm_settings():
    alarm = resources(ALARMS, "aws_cloudwatch_metric_alarm")["dead_letter_ratio"]
    # Same topic as every other alarm (ALARM and OK).
    assert alarm["alarm_actions"] == alarm["ok_actions"] == "${local.actions}"
    assert alarm["actions_enabled"] is True
    assert alarm["threshold"] == "${var.dead_letter_ratio_percent}"
    assert alarm["evaluation_periods"] == "${var.dead_letter_evaluation_periods}"
    assert alarm["datapoints_to_alarm"] == "${var.dead_letter_datapoints_to_alarm}"
    assert alarm["comparison_operator"] == "GreaterThanThreshold"
    assert alarm["treat_missing_data"] == "notBreaching"
    # The choice of treat_missing_data is explained where it is made.
    source = (ALARMS / "main.tf").read_text().split('resource "aws_cloudwatch_metric_alarm" "dead_letter_ratio"', 1)[1]
    assert re.search(r"# No data.*\n(\s*#.*\n)*\s*treat_missing_data", source)
    (returned,) = alarm["metric_query"]  # the expression; the metrics come from the dynamic block
    assert returned["return_data"] is True
    assert returned["id"] == "${local.dead_letter_ratio.id}"
    assert returned["expression"] == "${local.dead_letter_ratio.expression}"
    dynamic = _one(alarm["dynamic"])["metric_query"]
    assert dynamic["for_each"] == "${local.dead_letter_ratio.metrics}"
    metric = _one(_one(dynamic["content"])["metric"])
    assert metric["namespace"] == "${local.dead_letter_ratio.namespace}"
    assert metric["dimensions"] == "${metric_query.value.dimensions}"
    # Threshold and periods are variables, each described and validated, in the module and the root.
    variables = {n: b for _, block in _blocks("variable", ALARMS) for n, b in block.items()}
    for name in ("dead_letter_ratio_percent", "dead_letter_period_s", "dead_letter_evaluation_periods",
                 "dead_letter_datapoints_to_alarm", "dead_letter_min_records", "bad_data_reasons"):
        assert variables[name]["description"] and variables[name]["validation"], name
    root = {n: b for _, block in _blocks("variable", INFRA) for n, b in block.items()}
    assert root["dead_letter_alarm"]["description"] and len(root["dead_letter_alarm"]["validation"]) >= 4


def test_example_tfvars_sets_the_dead_letter_alarm():
    example = _parse(INFRA / "environments" / "example.tfvars")
    assert set(example["dead_letter_alarm"]) <= {"ratio_percent", "period_s", "evaluation_periods",
                                                 "datapoints_to_alarm", "min_records"}


# ---------------------------------------------------------------- rendering with terraform console
def _console(module_dir: Path, files: tuple[str, ...], values: dict, expression: str) -> subprocess.CompletedProcess:
    """Evaluate `expression` in a copy of `files` of module_dir (locals and variables only)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            shutil.copy(module_dir / f, tmp)
        Path(tmp, "test.auto.tfvars.json").write_text(json.dumps(values))
        env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        proc = subprocess.run(["terraform", "console"], input=expression + "\n", cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=120)
    # Reading stdin, console exits 0 after an error too: the error is in stderr.
    proc.stderr = re.sub(r"\x1b\[[0-9;]*m", "", proc.stderr)
    return proc


def _render(module_dir: Path, files: tuple[str, ...], values: dict, local: str):
    proc = _console(module_dir, files, values, f"jsonencode(local.{local})")
    assert proc.returncode == 0 and "Error" not in proc.stderr, proc.stderr[-3000:]
    return json.loads(json.loads(proc.stdout.strip().splitlines()[-1]))


def _alarm_values(**overrides) -> dict:
    locals_ = root_locals()
    values = {"name_prefix": f"{APP}-", "application_name": APP, "telemetry_stream_name": "demo-telemetry",
              "alert_stream_name": "demo-telemetry-alerts",
              "alarm_topic_arn": "arn:aws:sns:eu-west-1:123456789012:demo-telemetry-alerts",
              "job_metrics": {k: v for k, v in locals_["job_metrics"].items()
                              if k not in ("rule_dimension", "channel_dimension")},
              "bad_data_reasons": locals_["bad_data_reasons"]}
    return {**values, **overrides}


ALARM_FILES = ("variables.tf", "dead_letter_ratio.tf")
DASHBOARD_FILES = ("variables.tf", "body.tf")


@lru_cache(maxsize=None)
def _ratio() -> dict:
    return _render(ALARMS, ALARM_FILES, _alarm_values(), "dead_letter_ratio")


@lru_cache(maxsize=None)
def _body(efo: bool = False) -> dict:
    locals_ = root_locals()
    values = {"name": APP, "region": "eu-west-1", "application_name": APP,
              "telemetry_stream_name": "demo-telemetry", "alert_stream_name": "demo-telemetry-alerts",
              "efo_consumer_name": "telemetry-job" if efo else None,
              "job_metrics": locals_["job_metrics"], "dead_letter_reasons": locals_["dead_letter_reasons"],
              "dead_letter_ratio": _ratio(), "dead_letter_ratio_percent": 1}
    return _render(DASHBOARD, DASHBOARD_FILES, values, "body")


def _ids_in(expression: str) -> set[str]:
    """Metric ids an expression refers to: identifiers that are not functions nor inside quotes."""
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", "", expression)
    return {t for t in re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", unquoted) if t not in MATH_FUNCTIONS}


def _metric_rows(widget: dict) -> list[tuple[str, str, dict[str, str], dict]]:
    """(namespace, metric name, dimensions, options) of a metric widget's metric rows."""
    out = []
    for row in widget["properties"]["metrics"]:
        if len(row) == 1 and isinstance(row[0], dict):
            continue  # an expression row
        options = row[-1] if isinstance(row[-1], dict) else {}
        plain = row[:-1] if options else row
        ns, name, *dims = plain
        out.append((ns, name, dict(zip(dims[::2], dims[1::2])), options))
    return out


def _expression_rows(widget: dict) -> list[dict]:
    return [row[0] for row in widget["properties"]["metrics"] if len(row) == 1 and isinstance(row[0], dict)]


def _widget(body: dict, title_start: str) -> dict:
    (w,) = [w for w in body["widgets"] if w["properties"].get("title", "").startswith(title_start)]
    return w


def _searches(body: dict) -> list[tuple[str, list[str], str, str]]:
    """(namespace, schema dimensions, MetricName, statistic) of every SEARCH in the body."""
    found = []
    for w in body["widgets"]:
        if w["type"] != "metric":
            continue
        for e in _expression_rows(w):
            m = re.fullmatch(r"SEARCH\('\{([^}]*)\}(.*)', '(\w+)', (\d+)\)", e["expression"])
            if m:
                ns, *dims = m.group(1).split(",")
                name = re.search(r'MetricName="([^"]+)"', m.group(2)).group(1)
                assert f'Application="{APP}"' in m.group(2), e["expression"]
                found.append((ns, dims, name, m.group(3)))
    return found


@needs_terraform
@pytest.mark.parametrize("efo", [False, True], ids=["polling", "efo"])
def test_dashboard_body_is_well_formed(efo):
    body = _body(efo)
    assert set(body) == {"widgets"} and body["widgets"]
    cells = set()
    for w in body["widgets"]:
        assert {"type", "x", "y", "width", "height", "properties"} <= set(w), w
        assert w["type"] in {"metric", "text"}
        assert all(isinstance(w[k], int) for k in ("x", "y", "width", "height"))
        assert 0 <= w["x"] and 1 <= w["width"] and w["x"] + w["width"] <= GRID_WIDTH and w["height"] >= 1
        mine = {(x, y) for x in range(w["x"], w["x"] + w["width"]) for y in range(w["y"], w["y"] + w["height"])}
        assert not cells & mine, f"widgets overlap at {sorted(cells & mine)[:3]}"
        cells |= mine
        props = w["properties"]
        if w["type"] == "text":
            assert isinstance(props["markdown"], str) and props["markdown"]
            continue
        assert props["region"] == "eu-west-1" and props["view"] == "timeSeries" and props["title"]
        assert props["period"] % 60 == 0 and props.get("stat", "Sum") in STATS
        assert isinstance(props["metrics"], list) and props["metrics"]
        ids = set()
        for row in props["metrics"]:
            assert isinstance(row, list) and row
            if len(row) == 1 and isinstance(row[0], dict):
                e = row[0]
                assert set(e) <= {"expression", "id", "label", "visible", "period", "color", "yAxis"}, e
                assert isinstance(e["expression"], str) and METRIC_ID.fullmatch(e["id"])
            else:
                options = row[-1] if isinstance(row[-1], dict) else {}
                plain = row[:-1] if options else row
                assert all(isinstance(s, str) and s for s in plain), row
                assert len(plain) >= 2 and len(plain) % 2 == 0, f"namespace, name, then name/value pairs: {row}"
                assert all(not isinstance(x, dict) for x in plain)
                assert set(options) <= {"id", "label", "visible", "stat", "period", "yAxis", "color"}, options
                assert options.get("stat", "Sum") in STATS and options.get("yAxis", "left") in ("left", "right")
                if "id" in options:
                    assert METRIC_ID.fullmatch(options["id"])
            rid = row[-1].get("id") if isinstance(row[-1], dict) else None
            if rid:
                assert rid not in ids, f"duplicate id {rid}"
                ids.add(rid)
        for e in _expression_rows(w):
            if not e["expression"].startswith("SEARCH("):
                assert _ids_in(e["expression"]) <= ids - {e["id"]}, e["expression"]
    # The body is what aws_cloudwatch_dashboard receives: well under CloudWatch's 1 MB.
    assert len(json.dumps(body)) < 100_000


@needs_terraform
def test_dashboard_names_exactly_the_jobs_metrics():
    body = _body(True)
    seen: dict[str, set[frozenset]] = {}
    for w in body["widgets"]:
        if w["type"] != "metric":
            continue
        for ns, name, dims, _ in _metric_rows(w):
            if ns == mn.NAMESPACE and name.startswith("telemetry"):
                seen.setdefault(name, set()).add(frozenset(dims))
    for ns, dims, name, _ in _searches(body):
        if name.startswith("telemetry"):
            assert ns == mn.NAMESPACE
            seen.setdefault(name, set()).add(frozenset(dims))
    assert set(seen) == set(mn.DIMENSIONS), set(seen) ^ set(mn.DIMENSIONS)
    for name, dim_sets in seen.items():
        for dims in dim_sets:
            assert set(dims) == {"Application", *mn.DIMENSIONS[name]}, (name, dims)
    # Every dead-letter reason has its series, with its value, in the by-reason widget.
    by_reason = _widget(body, "Dead letters by")
    assert by_reason["properties"]["stacked"] is True
    rows = _metric_rows(by_reason)
    assert [d["Reason"] for _, n, d, _ in rows if n == mn.RECORDS_REJECTED] == list(mn.DEAD_LETTER_REASONS)
    assert all(d["Application"] == APP for _, _, d, _ in rows)
    # Alerts: one series per Rule and Channel (a search), and the alert stream's total.
    alerts = _widget(body, "Alerts by")
    (search,) = [s for s in _searches({"widgets": [alerts]})]
    assert search[2] == mn.ALERTS and sorted(search[1]) == sorted(["Application", *mn.DIMENSIONS[mn.ALERTS]])


@needs_terraform
def test_dashboard_shows_the_brief():
    body = _body(True)
    named = {(ns, name) for w in body["widgets"] if w["type"] == "metric" for ns, name, _, _ in _metric_rows(w)}
    searched = {(ns, name) for ns, _, name, _ in _searches(body)}
    expected = {
        ("AWS/Kinesis", "IncomingRecords"),                          # input rate (telemetry and alert streams)
        (mn.NAMESPACE, mn.RECORDS_READ), (mn.NAMESPACE, mn.RECORDS_VALID),
        ("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds"),       # source lag, polling
        ("AWS/Kinesis", "SubscribeToShardEvent.MillisBehindLatest"),  # source lag, EFO
        (mn.NAMESPACE, "lastCheckpointDuration"), (mn.NAMESPACE, "numberOfFailedCheckpoints"),
        (mn.NAMESPACE, "numRestarts"),                               # Flink 2.2: fullRestarts is gone
        (mn.NAMESPACE, "uptime"), (mn.NAMESPACE, "downtime"),
    }
    assert expected <= named, expected - named
    assert (mn.NAMESPACE, "millisBehindLatest") in searched
    assert (mn.NAMESPACE, "fullRestarts") not in named
    polling = {(ns, n) for w in _body(False)["widgets"] if w["type"] == "metric" for ns, n, _, _ in _metric_rows(w)}
    assert ("AWS/Kinesis", "SubscribeToShardEvent.MillisBehindLatest") not in polling
    streams = {d.get("StreamName") for w in body["widgets"] if w["type"] == "metric"
               for ns, n, d, _ in _metric_rows(w) if ns == "AWS/Kinesis"}
    assert streams == {"demo-telemetry", "demo-telemetry-alerts"}


def _numerator_and_denominator(ratio: dict) -> tuple[set[str], set[str]]:
    m = re.fullmatch(r"IF\((\w+) >= (\d+), 100 \* \((.*)\) / (\w+), 0\)", ratio["expression"])
    assert m, ratio["expression"]
    assert m.group(1) == m.group(4)
    return _ids_in(m.group(3)), {m.group(4)}


@needs_terraform
def test_ratio_counts_every_bad_data_reason_over_records_read():
    ratio = _ratio()
    numerator, denominator = _numerator_and_denominator(ratio)
    metrics = ratio["metrics"]
    assert numerator | denominator == set(metrics)
    reasons = {metrics[i]["dimensions"]["Reason"] for i in numerator}
    assert all(metrics[i]["metric_name"] == mn.RECORDS_REJECTED for i in numerator)
    assert reasons == set(mn.DEAD_LETTER_REASONS) - {HEARTBEAT, PARSER_MISMATCH} == set(mn.BAD_DATA_REASONS)
    (read,) = denominator
    assert metrics[read] == {"metric_name": mn.RECORDS_READ, "dimensions": {"Application": APP}}
    for i in numerator:
        assert metrics[i]["dimensions"] == {"Application": APP, "Reason": metrics[i]["dimensions"]["Reason"]}
        assert f"FILL({i}, 0)" in ratio["expression"]  # a reason never seen yet must not blank the sum
    assert ratio["namespace"] == mn.NAMESPACE and ratio["stat"] == "Sum" and ratio["period"] == 300


@needs_terraform
def test_alarm_expression_references_real_metric_ids():
    ratio = _ratio()
    ids = set(ratio["metrics"])
    assert all(METRIC_ID.fullmatch(i) for i in ids | {ratio["id"]})
    assert ratio["id"] not in ids
    assert _ids_in(ratio["expression"]) == ids   # every id it names exists, every metric is used
    assert len(ids) <= MAX_ALARM_METRICS


@needs_terraform
def test_dashboard_charts_the_alarms_ratio():
    ratio, body = _ratio(), _body()
    widget = _widget(body, "Dead-letter ratio")
    (expression,) = _expression_rows(widget)
    assert expression["expression"] == ratio["expression"] and expression["id"] == ratio["id"]
    rows = {o["id"]: (ns, n, d, o) for ns, n, d, o in _metric_rows(widget)}
    assert set(rows) == set(ratio["metrics"])
    for i, (ns, name, dims, options) in rows.items():
        assert ns == ratio["namespace"] and name == ratio["metrics"][i]["metric_name"]
        assert dims == ratio["metrics"][i]["dimensions"]
        assert options["visible"] is False and options["stat"] == "Sum" and options["period"] == ratio["period"]
    assert widget["properties"]["annotations"]["horizontal"][0]["value"] == 1


@needs_terraform
@pytest.mark.parametrize("overrides, message", [
    ({"dead_letter_ratio_percent": 0}, "dead_letter_ratio_percent"),
    ({"dead_letter_period_s": 90}, "dead_letter_period_s"),
    ({"dead_letter_evaluation_periods": 300}, "dead_letter_evaluation_periods"),
    ({"dead_letter_datapoints_to_alarm": 4}, "dead_letter_datapoints_to_alarm"),
    ({"bad_data_reasons": [f"reason_{i}" for i in range(10)]}, "at most 10 metrics"),
], ids=["ratio", "period", "evaluation-periods", "datapoints", "too-many-reasons"])
def test_alarm_variables_reject_what_cloudwatch_would(overrides, message):
    proc = _console(ALARMS, ALARM_FILES, _alarm_values(**overrides), "local.dead_letter_ratio.expression")
    assert "Invalid value for variable" in proc.stderr, proc.stderr[-2000:]
    assert message in re.sub(r"\s+", " ", proc.stderr.replace("│", " ")), proc.stderr[-2000:]

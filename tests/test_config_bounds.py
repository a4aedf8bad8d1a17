"""Every numeric configuration value the schema accepts builds the job.

The planner, not the schema, had the last word: `INTERVAL '120' SECOND` failed at start for a
window, cooldown, look-back or out-of-orderness of 100 s or more, although the schema accepted
them. Here the whole job (source, business SQL, every sink) is planned, without running it, with
every numeric key at its minimum, then at its default, then at its maximum. A rise of 0 disables
a rate rule and the planner prunes its branch, so the minimum look-backs are planned once more
with the rules on.
"""
from __future__ import annotations

import re
import sys

import pytest

from jobs.config import SCHEMA, document, parse
from jobs.telemetry_job import build, configure, create_table_env
from tests.test_config import minimal
from tooling.file_io import FileIO
from tooling.paths import HELPERS_JAR

pytestmark = pytest.mark.sql

NUMERIC = [k for k in SCHEMA if hasattr(k.parse, "bounds")]


def _bound(key, side: str):
    lo, hi = key.parse.bounds
    # An open side of a float range: the largest finite number stands for "anything".
    if side == "min":
        return -sys.float_info.max if lo is None else lo
    return sys.float_info.max if hi is None else hi


def _settings(case: str) -> dict[str, object]:
    values = {}
    for key in NUMERIC:
        if case == "default":
            value = key.default
        elif case == "min, rate rules on" and key.name.startswith("rate.") and key.name.endswith(".rise"):
            value = _bound(key, "max")
        else:
            value = _bound(key, case.split(",")[0])
        if value is not None:
            values[f"{key.group}/{key.name}"] = repr(value) if isinstance(value, float) else str(value)
    return values


def test_numeric_keys_declare_their_range():
    assert len(NUMERIC) >= 30
    assert {"job.window.size.s", "rules.alert.cooldown.s", "rules.rate.engine.window.s",
            "job.watermark.out-of-orderness.ms"} <= {f"{k.group}.{k.name}" for k in NUMERIC}


@pytest.mark.parametrize("case", ["min", "default", "max", "min, rate rules on"])
def test_job_plans_with_every_numeric_key_at(case, tmp_path):
    settings = _settings(case)
    config = parse(document(minimal(**settings)))
    for dotted, text in settings.items():          # the values really reached the config
        assert float(config.get(*dotted.split("/"))) == float(text)
    t_env = create_table_env(parallelism=config.get("job", "parallelism"), jars=(HELPERS_JAR,))
    configure(t_env, config)
    ttl = {"min": "60 s", "default": "600 s", "max": "604800 s"}[case.split(",")[0]]
    assert t_env.get_config().get("table.exec.state.ttl", None) == ttl
    (tmp_path / "in.jsonl").write_text("")
    plan = build(t_env, config, FileIO(tmp_path / "in.jsonl", tmp_path / "out")).explain()
    assert "Sink(table=[default_catalog.default_database.alerts_sink]" in plan
    physical = plan.split("== Optimized Physical Plan ==")[1].split("== Optimized Execution Plan ==")[0]
    window = {"min": "1 s", "default": "1 min", "max": "1 d"}[case.split(",")[0]]
    assert f"size=[{window}]" in physical
    # Every channel's look-back and rise reach the one rate-of-change function (a rise of 0 leaves the
    # channel out at run time: tests/test_sql_views.py).
    assert "invocation=[rate_baselines_of(" in physical
    look_back = {"min": 1, "default": 60, "max": 3600}[case.split(",")[0]]
    rise = config.placeholders()["rules.rate.engine.rise"]
    assert rise == {"min": "0.0E0", "default": "5.0E0"}.get(case, "1.7976931348623157E+308")
    assert re.search(rf"engine +engine_temp +{look_back} {re.escape(rise)}", physical), physical[:3000]


# Keys Managed Flink 2.2 lets a job set in code (its "Programmatic Flink configuration properties"
# page); any other key throws at start there. Only the ones this job uses are listed.
MSF_ALLOWED = {"pipeline.name", "pipeline.object-reuse", "pipeline.jars", "table.local-time-zone",
               "table.exec.state.ttl", "python.execution-mode"}


def test_on_managed_flink_the_job_sets_only_allow_listed_keys():
    t_env = create_table_env(local=False)
    configure(t_env, parse(document(minimal())))
    keys = set(t_env.get_config().get_configuration().to_dict())
    # PyFlink's own, set only when it launched the JVM itself (never under MSF's `flink run`).
    keys = {k for k in keys if not k.startswith("python.loopback-server.")}
    assert keys <= MSF_ALLOWED, f"not on the MSF allow-list: {sorted(keys - MSF_ALLOWED)}"
    assert {"pipeline.object-reuse", "table.exec.state.ttl"} <= keys

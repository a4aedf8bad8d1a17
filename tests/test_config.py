"""The config schema: MSF's PropertyGroupId/PropertyMap shape, validated at start."""
from __future__ import annotations

import json

import pytest

from jobs.config import MSF_RUN_OPTIONS_GROUP, ConfigError, document, load, parse
from jobs.outputs import OUTPUTS

pytestmark = pytest.mark.unit

ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/telemetry"


def minimal(**overrides) -> dict[str, dict[str, str]]:
    groups = {
        "aws": {"region": "eu-west-1"},
        "source.telemetry": {"stream.arn": ARN},
        **{o.config_group: {o.target_option: ARN.replace("telemetry", o.name) if o.connector == "kinesis" else o.name}
           for o in OUTPUTS},
    }
    for dotted, value in overrides.items():
        group, key = dotted.split("/")
        if value is None:
            groups[group].pop(key)
        else:
            groups.setdefault(group, {})[key] = value
    return groups


def error_of(groups) -> str:
    with pytest.raises(ConfigError) as e:
        parse(document(groups))
    return str(e.value)


def test_minimal_config_fills_documented_defaults():
    c = parse(document(minimal()))
    assert c.get("source.telemetry", "init.position") == "LATEST"
    assert c.get("job", "watermark.out-of-orderness.ms") == 5000
    assert c.get("job", "window.size.s") == 60
    assert c.get("rules", "rate.engine.rise") == 5.0
    assert c.get("rules", "alert.cooldown.s") == 60
    assert c.get("rules", "threshold.engine") == 130.0
    assert c.get("aws", "endpoint") is None


def test_values_are_typed_from_msf_strings():
    c = parse(document(minimal(**{"job/window.size.s": "30", "rules/threshold.speed": "300.5",
                                   "source.telemetry/init.position": "trim_horizon"})))
    assert c.get("job", "window.size.s") == 30
    assert c.get("rules", "threshold.speed") == 300.5
    assert c.get("source.telemetry", "init.position") == "TRIM_HORIZON"


def test_sql_placeholders_are_typed_literals():
    values = parse(document(minimal())).placeholders()
    assert values["job.window.size.s"] == "60"
    assert values["rules.threshold.engine"] == "130.0E0"     # a DOUBLE literal, not DECIMAL
    assert values["rules.fast-lap.min-speed"] == "200.0E0"


def test_missing_required_key_is_named():
    assert error_of(minimal(**{"source.telemetry/stream.arn": None})) == (
        "config: missing required key 'source.telemetry.stream.arn' (a Kinesis stream ARN "
        "arn:aws:kinesis:<region>:<account>:stream/<name>)")


def test_malformed_value_is_named_with_expectation():
    assert error_of(minimal(**{"job/window.size.s": "soon"})) == (
        "config: key 'job.window.size.s' is 'soon'; expected an integer 1..86400")
    assert "key 'rules.threshold.engine' is 'nan'" in error_of(minimal(**{"rules/threshold.engine": "nan"}))
    assert "expected LATEST, TRIM_HORIZON or AT_TIMESTAMP" in error_of(
        minimal(**{"source.telemetry/init.position": "EARLIEST"}))
    # Below 5 s the Kinesis source's periodic shard discovery can race its initial one.
    assert error_of(minimal(**{"source.telemetry/shard.discovery.interval.s": "1"})) == (
        "config: key 'source.telemetry.shard.discovery.interval.s' is '1'; expected an integer 5..3600")
    # Without an idle timeout the source's per-shard watermarks were seen never to close a window.
    assert error_of(minimal(**{"job/source.idle-timeout.ms": "0"})) == (
        "config: key 'job.source.idle-timeout.ms' is '0'; expected an integer 1000..3600000")
    assert error_of(minimal(**{"job/max-future-skew.s": "0"})) == (
        "config: key 'job.max-future-skew.s' is '0'; expected an integer 1..86400")


def test_unknown_key_and_group_are_rejected():
    assert "unknown key 'job.window.sise.s'" in error_of(minimal(**{"job/window.sise.s": "60"}))
    assert "unknown property group 'sinks.fast-laps'" in error_of({**minimal(), "sinks.fast-laps": {"a": "b"}})


def test_dependent_keys():
    assert "source.telemetry.init.timestamp' is required" in error_of(
        minimal(**{"source.telemetry/init.position": "AT_TIMESTAMP"}))
    assert "aws.credentials.access-key-id' is required" in error_of(
        minimal(**{"aws/credentials.provider": "BASIC"}))
    assert "is in region us-east-1; expected aws.region eu-west-1" in error_of(
        minimal(**{"source.telemetry/stream.arn": "arn:aws:kinesis:us-east-1:123456789012:stream/t"}))


def test_msf_run_options_group_is_accepted(tmp_path):
    doc = document(minimal()) + [{"PropertyGroupId": MSF_RUN_OPTIONS_GROUP,
                                  "PropertyMap": {"python": "main.py", "jarfile": "lib/x.jar"}}]
    path = tmp_path / "application_properties.json"
    path.write_text(json.dumps(doc))
    assert load(path).get("aws", "region") == "eu-west-1"


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load(bad)
    bad.write_text('{"aws": {}}')
    with pytest.raises(ConfigError, match="expected a JSON list"):
        load(bad)
    bad.write_text('[{"PropertyGroupId": "aws"}]')
    with pytest.raises(ConfigError, match="entry 0 must be an object with PropertyGroupId"):
        load(bad)


def test_docs_configuration_table_matches_the_schema():
    from pathlib import Path

    from jobs.config import markdown_table

    doc = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "regenerate with: python -m jobs.config --markdown"


def test_replay_config_file_errors_are_config_errors(tmp_path, capsys):
    from tooling import replay

    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    (tmp_path / "in.jsonl").write_text("", encoding="utf-8")
    assert replay.main([str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out"), "--config", str(bad)]) == 2
    assert f"{bad}: not valid JSON" in capsys.readouterr().err
    # A file that is JSON but not MSF's list: the schema's message, not a traceback.
    bad.write_text(json.dumps({"aws": {}}), encoding="utf-8")
    assert replay.main([str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out"), "--config", str(bad)]) == 2
    assert "expected a JSON list" in capsys.readouterr().err

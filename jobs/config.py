"""The job's one configuration schema, for MSF and for local runs alike.

Shape: MSF's application properties, a JSON list of {"PropertyGroupId": ..., "PropertyMap": {...}}.
MSF writes it to /etc/flink/application_properties.json; the local run writes the same shape to a
file of its own. Every key is declared once in SCHEMA with its type, default and meaning; `load`
validates the whole document up front and raises ConfigError naming the group and key, so a bad
deployment fails at start instead of at the first record. The table in docs/configuration.md is
generated from SCHEMA (`python -m jobs.config --markdown`).
"""
from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from jobs.outputs import OUTPUTS

MSF_PROPERTIES_PATH = Path("/etc/flink/application_properties.json")
# MSF's own group (entry file, jar): read by the service, not by the job, so it is allowed as-is.
MSF_RUN_OPTIONS_GROUP = "kinesis.analytics.flink.run.options"

# Channels the alert rules watch. Temperature channels have rate-of-change rules too.
TEMPERATURE_CHANNELS = ("engine",
                        "brake_front_left", "brake_front_right", "brake_rear_left", "brake_rear_right",
                        "tire_front_left", "tire_front_right", "tire_rear_left", "tire_rear_right")
CHANNELS = TEMPERATURE_CHANNELS + ("speed", "rpm")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Key:
    group: str
    name: str
    parse: Callable[[str], Any]
    expected: str          # what a valid value looks like, for error messages and docs
    doc: str
    default: Any = None
    required: bool = False


def _int(lo: int | None = None, hi: int | None = None):
    def parse(raw: str) -> int:
        value = int(str(raw).strip())
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError
        return value
    parse.bounds = (lo, hi)  # for docs and for the test that builds the job at every bound
    return parse


def _float(lo: float | None = None, hi: float | None = None):
    def parse(raw: str) -> float:
        value = float(str(raw).strip())
        if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError
        return value
    parse.bounds = (lo, hi)
    return parse


def _choice(*choices: str):
    def parse(raw: str) -> str:
        value = str(raw).strip().upper()
        if value not in choices:
            raise ValueError
        return value
    return parse


def _matching(pattern: str):
    regex = re.compile(pattern)

    def parse(raw: str) -> str:
        value = str(raw).strip()
        if not regex.fullmatch(value):
            raise ValueError
        return value
    return parse


_STREAM_ARN = r"arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream/[A-Za-z0-9_.-]{1,128}"
_NAME = r"[A-Za-z0-9_.-]{1,64}"
_TABLE = r"[A-Za-z0-9_.-]{3,255}"
_ISO_UTC = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z"
# An output's target key (jobs/outputs.py) by connector: how it is checked, what it looks like.
_TARGET = {"firehose": (_matching(_NAME), "a Firehose delivery stream name"),
           "kinesis": (_matching(_STREAM_ARN), "a Kinesis stream ARN"),
           "dynamodb": (_matching(_TABLE), "a DynamoDB table name")}

# Defaults for the alert rules: documented in the README, overridable per channel.
DEFAULT_THRESHOLDS = {"engine": 130.0, "speed": 340.0, "rpm": 17500.0,
                      **{c: 1000.0 for c in TEMPERATURE_CHANNELS if c.startswith("brake_")},
                      **{c: 130.0 for c in TEMPERATURE_CHANNELS if c.startswith("tire_")}}
DEFAULT_RATE_RISE = {"engine": 5.0,
                     **{c: 150.0 for c in TEMPERATURE_CHANNELS if c.startswith("brake_")},
                     **{c: 15.0 for c in TEMPERATURE_CHANNELS if c.startswith("tire_")}}

SCHEMA: tuple[Key, ...] = (
    Key("aws", "region", _matching(r"[a-z]{2}(-[a-z]+)+-\d"), "an AWS region such as eu-west-1",
        "Region of every stream, delivery stream and table. Always set: MSF blocks metadata look-ups.",
        required=True),
    Key("aws", "endpoint", _matching(r"https?://[^\s]+"), "an http(s) URL",
        "Endpoint override for a local AWS stand-in (moto). Leave unset on AWS."),
    Key("aws", "credentials.provider", _choice("AUTO", "BASIC"), "AUTO or BASIC",
        "AUTO uses the MSF execution role; BASIC uses the two keys below (local stand-in only).",
        default="AUTO"),
    Key("aws", "credentials.access-key-id", str, "a string", "Access key for BASIC credentials."),
    Key("aws", "credentials.secret-key", str, "a string", "Secret key for BASIC credentials."),

    Key("source.telemetry", "stream.arn", _matching(_STREAM_ARN),
        "a Kinesis stream ARN arn:aws:kinesis:<region>:<account>:stream/<name>",
        "Telemetry stream the job reads.", required=True),
    Key("source.telemetry", "init.position", _choice("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"),
        "LATEST, TRIM_HORIZON or AT_TIMESTAMP", "Where a job without state starts reading.", default="LATEST"),
    Key("source.telemetry", "init.timestamp", _matching(_ISO_UTC), "ISO-8601 UTC, e.g. 2026-11-23T12:00:00Z",
        "Start time when init.position is AT_TIMESTAMP."),
    Key("source.telemetry", "reader.type", _choice("POLLING", "EFO"), "POLLING or EFO",
        "Polling shares 5 reads/s per shard; EFO gives this job 2 MB/s per shard of its own.", default="POLLING"),
    Key("source.telemetry", "efo.consumer.name", _matching(_NAME), "a consumer name",
        "EFO consumer name, required when reader.type is EFO."),
    # At least 5 s: the 6.0.0 source schedules its first periodic discovery one interval after
    # start, and if that runs before the initial discovery is processed it fails the job
    # (NullPointerException "exclusiveStartShardId cannot be null"); seen here with 1 s on a busy machine.
    Key("source.telemetry", "shard.discovery.interval.s", _int(5, 3600), "an integer 5..3600",
        "How often new shards (after resharding) are looked for.", default=10),

    *(Key(o.config_group, o.target_option, *_TARGET[o.connector], o.doc, required=True) for o in OUTPUTS),
    Key("sinks", "flush.timeout.ms", _int(100, 60000), "an integer 100..60000",
        "Longest time an AWS sink buffers records before sending them.", default=5000),
    # Cost: Firehose bills each record rounded up to 5 KB; a CSV line alone is ~60 bytes.
    Key("sinks", "firehose.linger.ms", _int(0, 60000), "an integer 0..60000",
        "How long the fast-lap and dead-letter lines gather into one Firehose record (up to Firehose's "
        "1,000 KiB) before it goes to the sink; 0 sends every line as its own record.", default=200),

    Key("job", "watermark.out-of-orderness.ms", _int(0, 3_600_000), "an integer 0..3600000",
        "How far behind the newest event time a record may arrive and still count; older ones are "
        "dead-lettered as late.",
        default=5000),
    Key("job", "max-future-skew.s", _int(1, 86400), "an integer 1..86400",
        "How far a reading's event_time may be ahead of the stream's clock (the Kinesis arrival time; in a "
        "replay the newest event time accepted so far). Further ahead (a device with a wrong clock) is "
        "dead-lettered as future_event_time and never moves the watermark.", default=120),
    # Not 0: with per-shard watermarks in the source, a job without an idle timeout was seen never
    # to close a window (a source output that receives no records holds the watermark back).
    Key("job", "source.idle-timeout.ms", _int(1000, 3_600_000), "an integer 1000..3600000",
        "A shard quiet this long stops holding back windows and alerts; also how long a source subtask "
        "may wait for its first records before the others' watermark passes it.", default=30000),
    Key("job", "window.size.s", _int(1, 86400), "an integer 1..86400", "Tumbling window length.", default=60),
    # Flink SQL has one TTL for all regular keyed state (table.exec.state.ttl); the windows, the OVER
    # aggregates and the job's process table functions (dedupe, rate baselines) clean up by event
    # time and are not affected.
    Key("job", "state-ttl.s", _int(60, 7 * 86400), "an integer 60..604800",
        "Processing-time TTL of Flink SQL's regular keyed state (table.exec.state.ttl): what a vehicle "
        "silent longer than this left in the alerts' storm suppression is dropped.", default=600),
    # Cost: DynamoDB bills every write; an item per reading cost as much as seed 001's Lambda.
    Key("job", "latest-state.interval.s", _int(1, 3600), "an integer 1..3600",
        "The latest-state output writes each vehicle's newest reading once per this many seconds of "
        "event time (when the watermark passes the interval's end), not every reading.", default=10),
    Key("job", "parallelism", _int(1, 1024), "an integer 1..1024",
        "Operator parallelism for local runs; on MSF the application's parallelism applies."),
    # THREAD was 28.8k vs 16.8k records/s (benchmarks/throughput.py, heap, p=1) while every record
    # went through the parser: in process mode the Python operator hands each bundle of 1,000 rows to
    # its worker and waits for all of it to return. Now valid readings are read in Java
    # (valid_reading) and the parser sees only the rest, so the choice matters with a large rejected share.
    Key("job", "python.execution-mode", _choice("THREAD", "PROCESS"), "THREAD or PROCESS",
        "Where the Python parser runs, for the records valid_reading cannot vouch for (broken records, "
        "heartbeats, late or too-early readings): THREAD inside the JVM (one GIL per TaskManager), "
        "PROCESS in a Python worker process per subtask, as a vectorized (Arrow) UDF. Sets Flink's "
        "python.execution-mode.",
        default="THREAD"),

    Key("rules", "fast-lap.min-speed", _float(0.0), "a number >= 0",
        "Readings at or above this speed (km/h) go to the fast-laps CSV.", default=200.0),
    Key("rules", "alert.cooldown.s", _int(0, 86400), "an integer 0..86400",
        "After an alert, the same vehicle, rule and channel stay quiet for this long (event time).", default=60),
    *(Key("rules", f"threshold.{c}", _float(), "a number",
          f"Alert when {c} exceeds this value.", default=DEFAULT_THRESHOLDS[c]) for c in CHANNELS),
    *(Key("rules", f"rate.{c}.rise", _float(0.0), "a number >= 0 (0 disables)",
          f"Alert when {c} rises by more than this within rules.rate.{c}.window.s.", default=DEFAULT_RATE_RISE[c])
      for c in TEMPERATURE_CHANNELS),
    *(Key("rules", f"rate.{c}.window.s", _int(1, 3600), "an integer 1..3600",
          f"Look-back for {c}'s rate of change: the rise is measured against its minimum within this many "
          f"seconds of event time.", default=60)
      for c in TEMPERATURE_CHANNELS),
)
_BY_GROUP: dict[str, dict[str, Key]] = {}
for _k in SCHEMA:
    _BY_GROUP.setdefault(_k.group, {})[_k.name] = _k


class Config:
    """Validated values: config["group"]["key"] -> typed value (defaults filled in)."""

    def __init__(self, values: dict[str, dict[str, Any]]):
        self._values = values

    def __getitem__(self, group: str) -> dict[str, Any]:
        return self._values[group]

    def get(self, group: str, key: str) -> Any:
        return self._values[group][key]

    def placeholders(self) -> dict[str, str]:
        """`group.key` -> SQL literal text, for the {{...}} placeholders in sql/ files.

        A duration key (`....s` or `....ms`) also gives its interval literal under the name without
        the unit: {{job.window.size.s}} is 60, {{job.window.size}} is INTERVAL '0 00:01:00.000' ...
        """
        out = {}
        for g, keys in self._values.items():
            for k, v in keys.items():
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    continue
                out[f"{g}.{k}"] = _sql_literal(v)
                stem, _, unit = k.rpartition(".")
                if unit in _UNIT_MS:
                    out[f"{g}.{stem}"] = interval_literal(round(v * _UNIT_MS[unit]))
        return out


_UNIT_MS = {"s": 1000, "ms": 1}


def interval_literal(ms: int) -> str:
    """A duration as a Flink SQL interval literal that holds every configurable value.

    `INTERVAL '120' SECOND` fails to plan: a SECOND interval's leading precision is 2 digits by
    default and Flink's planner accepts no more than 3. DAY TO SECOND holds up to 99 days.
    """
    if ms < 0:
        raise ValueError(f"negative duration {ms} ms")
    seconds, millis = divmod(ms, 1000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    days, hour = divmod(hours, 24)
    return f"INTERVAL '{days} {hour:02d}:{minute:02d}:{sec:02d}.{millis:03d}' DAY TO SECOND(3)"


def _sql_literal(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    # An approximate-numeric literal is a DOUBLE in Flink SQL; 130.0 alone would be a DECIMAL.
    text = repr(value).upper()
    return text if "E" in text else text + "E0"


def parse(document: Any, source: str = "config") -> Config:
    if not isinstance(document, list):
        raise ConfigError(f"{source}: expected a JSON list of {{PropertyGroupId, PropertyMap}} objects")
    raw: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(document):
        if not isinstance(entry, dict) or not isinstance(entry.get("PropertyGroupId"), str) \
                or not isinstance(entry.get("PropertyMap"), dict):
            raise ConfigError(f"{source}: entry {i} must be an object with PropertyGroupId (string) "
                              f"and PropertyMap (object)")
        group = entry["PropertyGroupId"]
        if group == MSF_RUN_OPTIONS_GROUP:
            continue
        if group not in _BY_GROUP:
            raise ConfigError(f"{source}: unknown property group '{group}'; expected one of "
                              f"{', '.join(sorted(_BY_GROUP))}")
        if group in raw:
            raise ConfigError(f"{source}: property group '{group}' appears twice")
        raw[group] = entry["PropertyMap"]

    values: dict[str, dict[str, Any]] = {}
    for group, keys in _BY_GROUP.items():
        given = raw.get(group, {})
        unknown = sorted(set(given) - set(keys))
        if unknown:
            raise ConfigError(f"{source}: unknown key '{group}.{unknown[0]}'; keys of '{group}' are "
                              f"{', '.join(sorted(keys))}")
        values[group] = {}
        for name, key in keys.items():
            if name not in given or given[name] in (None, ""):
                if key.required:
                    raise ConfigError(f"{source}: missing required key '{group}.{name}' ({key.expected})")
                values[group][name] = key.default
                continue
            try:
                values[group][name] = key.parse(given[name])
            except (TypeError, ValueError):
                raise ConfigError(f"{source}: key '{group}.{name}' is {given[name]!r}; expected {key.expected}") \
                    from None
    _check_dependencies(values, source)
    return Config(values)


def _check_dependencies(v: dict[str, dict[str, Any]], source: str) -> None:
    src, aws = v["source.telemetry"], v["aws"]
    if src["init.position"] == "AT_TIMESTAMP" and not src["init.timestamp"]:
        raise ConfigError(f"{source}: key 'source.telemetry.init.timestamp' is required when "
                          f"init.position is AT_TIMESTAMP (ISO-8601 UTC)")
    if src["reader.type"] == "EFO" and not src["efo.consumer.name"]:
        raise ConfigError(f"{source}: key 'source.telemetry.efo.consumer.name' is required when reader.type is EFO")
    if aws["credentials.provider"] == "BASIC":
        for name in ("credentials.access-key-id", "credentials.secret-key"):
            if not aws[name]:
                raise ConfigError(f"{source}: key 'aws.{name}' is required when aws.credentials.provider is BASIC")
    region = aws["region"]
    for group in ("source.telemetry", *(o.config_group for o in OUTPUTS if o.connector == "kinesis")):
        arn_region = v[group]["stream.arn"].split(":")[3]
        if arn_region != region:
            raise ConfigError(f"{source}: key '{group}.stream.arn' is in region {arn_region}; "
                              f"expected aws.region {region}")


def read_json(path: str | Path) -> Any:
    """A configuration file's JSON; unreadable or non-JSON files raise ConfigError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read configuration {path}: {e.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None


def load(path: str | Path) -> Config:
    return parse(read_json(path), str(path))


def document(groups: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The MSF shape for a {group: {key: value}} dict; values become strings as MSF stores them."""
    return [{"PropertyGroupId": g, "PropertyMap": {k: str(val) for k, val in keys.items()}}
            for g, keys in groups.items()]


def markdown_table() -> str:
    rows = ["| group | key | required | default | expected | meaning |", "|---|---|---|---|---|---|"]
    for k in SCHEMA:
        default = "" if k.default is None else f"`{k.default}`"
        rows.append(f"| `{k.group}` | `{k.name}` | {'yes' if k.required else 'no'} | {default} | "
                    f"{k.expected} | {k.doc} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    from jobs.cli import Parser

    parser = Parser(
        prog="python -m jobs.config",
        description="Check an application properties file (MSF's PropertyGroups JSON) against the schema, "
                    "or print the configuration table.")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("file", nargs="?", type=Path, help="the JSON file to check")
    what.add_argument("--markdown", action="store_true", help="print the table of every key (docs/configuration.md)")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_table())
        return 0
    try:
        load(args.file)
    except ConfigError as e:
        print(f"python -m jobs.config: error: {e}", file=sys.stderr)
        return 2
    print(f"{args.file}: valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())

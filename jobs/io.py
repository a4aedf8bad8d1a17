"""Where the job reads and writes: declared once here, options filled from config.

The business SQL in sql/ only knows the table `telemetry_raw` and the views it defines; the
outputs below map those views to sink tables. `AwsIO` uses the real Flink AWS connectors
(Kinesis source and sink, Firehose, DynamoDB); `FileIO` swaps them for Flink's filesystem
connector so analysts can replay a captured JSON-lines file without any AWS at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jobs.config import Config, interval_literal


# The connector option naming an output's target; the config key of the target has the same name.
_TARGET_OPTION = {"firehose": "delivery-stream", "kinesis": "stream.arn", "dynamodb": "table-name"}


@dataclass(frozen=True)
class Output:
    view: str                      # the business view (sql/) that feeds it
    config_group: str              # where its AWS target is configured (sink.*)
    connector: str                 # the AWS connector: firehose | kinesis | dynamodb
    file_name: str                 # the replay's file for it
    lines: bool = False            # one preformatted text line per row (CSV / JSON lines)
    key: tuple[str, ...] = ()      # upsert key (DynamoDB items)
    partition_by: tuple[str, ...] = ()
    changelog: bool = False        # an updating stream (rows replaced per key), not insert-only

    @property
    def table(self) -> str:
        return f"{self.view}_sink"

    @property
    def target_option(self) -> str:
        return _TARGET_OPTION[self.connector]


OUTPUTS = (
    Output("fast_laps", "sink.fast-laps", "firehose", "fast_laps.csv", lines=True),
    Output("dead_letters", "sink.dead-letters", "firehose", "dead_letters.jsonl", lines=True),
    Output("window_aggregates", "sink.window-aggregates", "dynamodb", "window_aggregates.jsonl",
           key=("vehicle_id", "window_start")),
    Output("latest_state", "sink.latest-state", "dynamodb", "latest_state.jsonl", key=("vehicle_id",),
           changelog=True),
    Output("alerts", "sink.alerts", "kinesis", "alerts.jsonl", partition_by=("vehicle_id",)),
)

# The record arrives as bytes: decoding here (invalid UTF-8 becomes U+FFFD) lets binary garbage
# reach the parser and the dead letters as text instead of failing the Python worker.
# Event time comes from the payload itself. A missing or unparseable event_time becomes the
# epoch, so the row still flows (and is dead-lettered by staging) instead of failing the
# watermark assigner, and it never moves the watermark forward.
_SOURCE_COLUMNS = """
  data BYTES,
  payload AS DECODE(data, 'UTF-8'),
  event_ts AS COALESCE(
    TO_TIMESTAMP(JSON_VALUE(DECODE(data, 'UTF-8'), '$.event_time'), 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
    TIMESTAMP '1970-01-01 00:00:00.000'),
  WATERMARK FOR event_ts AS event_ts - {delay}"""


def _with(options: dict[str, str]) -> str:
    def quote(s: str) -> str:
        return "'" + str(s).replace("'", "''") + "'"
    return ",\n  ".join(f"{quote(k)} = {quote(v)}" for k, v in options.items())


def source_ddl(config: Config, options: dict[str, str]) -> str:
    delay = interval_literal(config.get("job", "watermark.out-of-orderness.ms"))
    return (f"CREATE TEMPORARY TABLE telemetry_raw ({_SOURCE_COLUMNS.format(delay=delay)}\n"
            f") WITH (\n  {_with(options)}\n)")


def sink_ddl(output: Output, columns: list[tuple[str, str]], options: dict[str, str],
             partitioned: bool) -> str:
    cols = [f"  `{name}` {dtype}{' NOT NULL' if name in output.key else ''}" for name, dtype in columns]
    if output.key:
        cols.append(f"  PRIMARY KEY ({', '.join(output.key)}) NOT ENFORCED")
    partition = ""
    if partitioned and (output.partition_by or output.key):
        partition = f"\nPARTITIONED BY ({', '.join(output.partition_by or output.key)})"
    return (f"CREATE TEMPORARY TABLE {output.table} (\n" + ",\n".join(cols) + f"\n){partition}"
            f" WITH (\n  {_with(options)}\n)")


class AwsIO:
    """Kinesis in; Firehose, DynamoDB and Kinesis out, via the connector jar on pipeline.jars."""

    # Firehose concatenates records; each CSV / JSON line carries its own newline.
    line_suffix = "CHR(10)"
    # Kinesis: partition key = vehicle_id. DynamoDB: de-duplicates keys within a batch.
    partitioned = True

    def __init__(self, config: Config):
        self.config = config

    def _aws(self) -> dict[str, str]:
        aws = self.config["aws"]
        opts = {"aws.region": aws["region"]}
        if aws["endpoint"]:
            opts["aws.endpoint"] = aws["endpoint"]
        if aws["credentials.provider"] == "BASIC":
            opts.update({"aws.credentials.provider": "BASIC",
                         "aws.credentials.basic.accesskeyid": aws["credentials.access-key-id"],
                         "aws.credentials.basic.secretkey": aws["credentials.secret-key"]})
        return opts

    def _async_sink(self) -> dict[str, str]:
        opts = {"sink.flush-buffer.timeout": str(self.config.get("sinks", "flush.timeout.ms"))}
        if self.config.get("aws", "endpoint"):
            # moto speaks no HTTP/2; real Kinesis does and it is the connector's default.
            opts["sink.http-client.protocol.version"] = "HTTP1_1"
        return opts

    def source_options(self) -> dict[str, str]:
        src = self.config["source.telemetry"]
        opts = {"connector": "kinesis", "stream.arn": src["stream.arn"], **self._aws(), "format": "raw",
                "source.init.position": src["init.position"],
                "source.shard.discovery.interval": f"{src['shard.discovery.interval.s']} s",
                "source.reader.type": src["reader.type"]}
        if src["init.position"] == "AT_TIMESTAMP":
            opts["source.init.timestamp"] = src["init.timestamp"]
        if src["reader.type"] == "EFO":
            opts["source.efo.consumer.name"] = src["efo.consumer.name"]
        return opts

    def sink_options(self, output: Output) -> dict[str, str]:
        opts = {"connector": output.connector,
                output.target_option: self.config.get(output.config_group, output.target_option),
                **self._aws(), **self._async_sink()}
        if output.connector != "dynamodb":  # DynamoDB writes columns as attributes, no format
            opts["format"] = "raw" if output.lines else "json"
        return opts


class FileIO:
    """A JSON-lines file in; one folder per output. For replays and SQL tests."""

    # The filesystem sink ends every record with a newline itself.
    line_suffix = None
    # Partitioning a filesystem sink would move key columns into directory names.
    partitioned = False

    def __init__(self, input_path: str | Path, output_dir: str | Path):
        self.input_path = Path(input_path).resolve()
        self.output_dir = Path(output_dir).resolve()

    def source_options(self) -> dict[str, str]:
        return {"connector": "filesystem", "path": str(self.input_path), "format": "raw"}

    def sink_options(self, output: Output) -> dict[str, str]:
        # The latest state is an upsert stream; a changelog format keeps every change so the
        # replay can fold it into the final state per vehicle.
        fmt = "raw" if output.lines else ("debezium-json" if output.changelog else "json")
        return {"connector": "filesystem", "path": str(self.output_dir / output.view), "format": fmt}

"""The job's outputs, each declared once: the view that feeds it, the AWS connector, the config
key of its target, the replay's file and the column contract. Everything else derives from this
list: the config schema's sink.* keys (jobs/config.py), the sink tables (jobs/io.py), the replay's
files (tooling/replay.py), the local stand-in's resources (tooling/local_aws.py) and the tests,
including the infra consistency checks. Adding an output: docs/adding-an-output.md.

No imports from the rest of the job (jobs/config.py reads this list to build its schema), only the
metric names (udfs/metric_names.py, pure).
"""
from __future__ import annotations

from dataclasses import dataclass

from udfs.metric_names import ALERTS, DIMENSIONS

# The connector option naming an output's target; the config key of the target has the same name.
_TARGET_OPTION = {"firehose": "delivery-stream", "kinesis": "stream.arn", "dynamodb": "table-name"}


@dataclass(frozen=True)
class Output:
    view: str                      # the business view (sql/3x_output_<view>.sql) that feeds it
    connector: str                 # the AWS connector: firehose | kinesis | dynamodb
    file_name: str                 # the replay's (and the local run's) file for it
    doc: str                       # what it receives: the help text of its config key
    lines: bool = False            # one preformatted text line per row (CSV / JSON lines)
    # Firehose outputs of lines: the job GZIPs its packed records (Firehose bills the compressed
    # bytes; S3 gets .gz objects). For the bulky raw archive; the others compress in Firehose.
    gzip: bool = False
    key: tuple[str, ...] = ()      # upsert key (DynamoDB items)
    partition_by: tuple[str, ...] = ()
    changelog: bool = False        # an updating stream (rows replaced per key), not insert-only
    # Count the rows that reach the sink under this metric, with these (dimension, column) pairs
    # (two, in udfs/metric_names.py's names): the job metrics Managed Flink sends to CloudWatch.
    metric: tuple[str, tuple[tuple[str, str], ...]] | None = None
    # The contract: "name TYPE, ..." in order (TYPE: STRING, INT, BIGINT, DOUBLE). The sink is
    # declared with exactly these columns, and the job refuses to start when the view's differ,
    # so an edit to the SQL cannot silently change DynamoDB items or the alert JSON.
    columns: str = ""

    @property
    def contract(self) -> list[tuple[str, str]]:
        return [tuple(c.split()) for c in self.columns.split(",")]

    @property
    def name(self) -> str:
        """fast_laps -> fast-laps: its config group is sink.<name>; local resources are telemetry-<name>."""
        return self.view.replace("_", "-")

    @property
    def config_group(self) -> str:
        return f"sink.{self.name}"

    @property
    def table(self) -> str:
        return f"{self.view}_sink"

    @property
    def target_option(self) -> str:
        return _TARGET_OPTION[self.connector]


_READING = ("speed DOUBLE, rpm INT, gear INT, throttle DOUBLE, brakes DOUBLE, steering_angle DOUBLE, "
            "engine_temp DOUBLE, brake_temp_front_left DOUBLE, brake_temp_front_right DOUBLE, "
            "brake_temp_rear_left DOUBLE, brake_temp_rear_right DOUBLE, tire_temp_front_left DOUBLE, "
            "tire_temp_front_right DOUBLE, tire_temp_rear_left DOUBLE, tire_temp_rear_right DOUBLE, "
            "fuel_consumption DOUBLE, lap_time DOUBLE, extra2 DOUBLE")

OUTPUTS = (
    Output("fast_laps", "firehose", "fast_laps.csv", "Firehose stream that receives fast-lap CSV lines.",
           lines=True, columns="line STRING"),
    Output("dead_letters", "firehose", "dead_letters.jsonl",
           "Firehose stream that receives rejected records as JSON lines.", lines=True, columns="line STRING"),
    Output("window_aggregates", "dynamodb", "window_aggregates.jsonl",
           "Table of window aggregates, keyed by vehicle_id and window_start.", key=("vehicle_id", "window_start"),
           columns="vehicle_id STRING, window_start STRING, window_end STRING, record_count BIGINT, "
                   "active_vehicles BIGINT, avg_speed DOUBLE, max_speed DOUBLE, max_rpm INT, avg_throttle DOUBLE, "
                   "avg_engine_temp DOUBLE, max_engine_temp DOUBLE, max_brake_temp DOUBLE, max_tire_temp DOUBLE, "
                   "avg_extra2 DOUBLE"),
    Output("latest_state", "dynamodb", "latest_state.jsonl",
           "Table of the latest reading per vehicle, keyed by vehicle_id.", key=("vehicle_id",), changelog=True,
           columns="vehicle_id STRING, last_event_time STRING, " + _READING),
    Output("alerts", "kinesis", "alerts.jsonl", "Kinesis stream for alerts (JSON, partition key vehicle_id).",
           partition_by=("vehicle_id",),
           columns="alert_id STRING, vehicle_id STRING, rule STRING, channel STRING, value DOUBLE, "
                   "threshold DOUBLE, baseline DOUBLE, event_time STRING, detected_at STRING",
           metric=(ALERTS, tuple(zip(DIMENSIONS[ALERTS], ("rule", "channel"))))),
    Output("raw_archive", "firehose", "raw_archive.jsonl",
           "Firehose stream that archives every record read, as received, as JSON lines.", lines=True,
           gzip=True, columns="line STRING"),
)
BY_VIEW = {o.view: o for o in OUTPUTS}

"""Thin PyFlink wrappers around the pure functions in this package, and the Java functions the SQL
calls; registered by the job."""
from __future__ import annotations

from pyflink.common import Row
from pyflink.table import DataTypes, TableEnvironment
from pyflink.table.udf import FunctionContext, ScalarFunction, udf

from udfs.telemetry import FIELDS, INTEGER_FIELDS, REASONS, STRING_FIELDS, parse_record


def _field_type(name: str):
    if name in STRING_FIELDS:
        return DataTypes.STRING()
    # BIGINT, not INT: in thread mode PyFlink converts a Python int to INT with Long.intValue(),
    # which throws on the None of a rejected record; staging casts the (range-checked) value.
    return DataTypes.BIGINT() if name in INTEGER_FIELDS else DataTypes.DOUBLE()


PARSED_TYPE = DataTypes.ROW([DataTypes.FIELD(name, _field_type(name)) for name in FIELDS])

# Managed Flink forwards to CloudWatch the metrics registered under this group, with each
# key/value group below it as a dimension (docs: "Use custom metrics with Managed Service for
# Apache Flink"). Elsewhere they are ordinary Flink metrics (REST API, any reporter).
METRIC_GROUP = "kinesisanalytics"
# Dimension Reason; 'duplicate' is decided later, in SQL. Records read are Flink's own
# numRecordsOut of the source "telemetry": a counter here would cost every record a metric update
# (measured: ~15% of the job's throughput), a rejection is rare.
RECORDS_REJECTED = "telemetryRecordsRejected"


class _Parse(ScalarFunction):
    """parse_record, counting every rejection by reason."""

    def open(self, function_context: FunctionContext):
        group = function_context.get_metric_group().add_group(METRIC_GROUP)
        self._rejected = {r: group.add_group("Reason", r).counter(RECORDS_REJECTED) for r in REASONS}

    def eval(self, payload, future, late):
        parsed = parse_record(payload, future, late)
        if parsed[0] is not None:
            self._rejected[parsed[0]].inc()
        return Row(*parsed)


# Java functions from the project's helpers (connectors/src/main/java), on pipeline.jars: SQL name -> class.
JAVA_FUNCTIONS = {"rate_baselines_of": "io.telemetry.flink.RateBaselines",
                  "copy_numbers_of": "io.telemetry.flink.CopyNumbers"}


def register(t_env: TableEnvironment) -> None:
    t_env.create_temporary_system_function(
        "parse_telemetry", udf(_Parse(), result_type=PARSED_TYPE, deterministic=True))
    for name, java_class in JAVA_FUNCTIONS.items():
        t_env.create_java_temporary_system_function(name, java_class)

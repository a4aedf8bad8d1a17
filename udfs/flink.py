"""Thin PyFlink wrappers around the pure functions in this package, and the Java functions the SQL
calls; registered by the job."""
from __future__ import annotations

from pyflink.table import DataTypes, TableEnvironment
from pyflink.table.udf import FunctionContext, ScalarFunction, udf

from udfs.metric_names import METRIC_GROUP, RECORDS_REJECTED
from udfs.telemetry import FIELDS, INTEGER_FIELDS, REASONS, STRING_FIELDS, parse_record


def _field_type(name: str):
    if name in STRING_FIELDS:
        return DataTypes.STRING()
    # BIGINT, not INT: in thread mode PyFlink converts a Python int to INT with Long.intValue(),
    # which throws on the None of a rejected record; staging casts the (range-checked) value.
    return DataTypes.BIGINT() if name in INTEGER_FIELDS else DataTypes.DOUBLE()


PARSED_TYPE = DataTypes.ROW([DataTypes.FIELD(name, _field_type(name)) for name in FIELDS])

# The job's counters: names in udfs/metric_names.py (Managed Flink sends them to CloudWatch).
# Records read, valid, duplicates and the late found after the shuffle are counted in Java
# (JobMetrics, CopyNumbers); here only the parser's rejections: a counter per record in Python
# cost ~15% of the job's throughput, a rejection is rare.


class _Parse(ScalarFunction):
    """parse_record over a batch, counting every rejection by reason. Vectorized (a pandas UDF):
    rows travel to and from the Python worker as Arrow columns rather than one by one, which
    measured +13% for the whole job (benchmarks/throughput.py, heap, three runs each: 18.6k vs
    16.5k records/s). A batch closes at python.fn-execution.arrow.batch.size rows or with the
    bundle (python.fn-execution.bundle.time, 1 s), the bound a row-at-a-time UDF's bundle had too."""

    def open(self, function_context: FunctionContext):
        group = function_context.get_metric_group().add_group(METRIC_GROUP)
        self._rejected = {r: group.add_group("Reason", r).counter(RECORDS_REJECTED) for r in REASONS}

    def eval(self, payloads, futures, lates):
        import pandas as pd  # PyFlink's own dependency (on Managed Flink too), not the job's

        rows = [parse_record(p, future, late) for p, future, late in zip(payloads, futures, lates)]
        for row in rows:
            if row[0] is not None:
                self._rejected[row[0]].inc()
        columns = list(zip(*rows)) if rows else [()] * len(FIELDS)
        return pd.DataFrame({name: pd.Series(col, dtype=object) for name, col in zip(FIELDS, columns)})


# Java functions from the project's helpers (connectors/src/main/java), on pipeline.jars: SQL name -> class.
JAVA_FUNCTIONS = {"rate_baselines_of": "io.telemetry.flink.RateBaselines",
                  "copy_numbers_of": "io.telemetry.flink.CopyNumbers",
                  # Counts an output's rows under its metric (jobs/outputs.py), in the job's INSERT.
                  "count_row": "io.telemetry.flink.JobMetrics$CountRow",
                  "archive_line": "io.telemetry.flink.ArchiveLine"}


def register(t_env: TableEnvironment) -> None:
    t_env.create_temporary_system_function(
        "parse_telemetry", udf(_Parse(), result_type=PARSED_TYPE, deterministic=True, func_type="pandas"))
    for name, java_class in JAVA_FUNCTIONS.items():
        t_env.create_java_temporary_system_function(name, java_class)

"""Thin PyFlink wrappers around the pure functions in this package, and the Java functions the SQL
calls; registered by the job."""
from __future__ import annotations

from pyflink.common import Row
from pyflink.table import DataTypes, TableEnvironment
from pyflink.table.udf import ScalarFunction, udf

from udfs.telemetry import COLUMN_TYPES, FIELDS, contract_json, explain_rejection

_SQL_TYPES = {"STRING": DataTypes.STRING, "BIGINT": DataTypes.BIGINT, "DOUBLE": DataTypes.DOUBLE}
PARSED_TYPE = DataTypes.ROW([DataTypes.FIELD(name, _SQL_TYPES[t]()) for name, t in COLUMN_TYPES.items()])


class _Parse(ScalarFunction):
    """explain_rejection, one row per call, as thread mode (job.python.execution-mode THREAD) runs it:
    inside the JVM. Its rejections are counted in Java as the parsed rows pass (jobs/io.py
    MATERIALIZED_VIEWS): PyFlink's thread mode does not report a Python UDF's metrics, and a counter per
    record in Python cost ~15% of the job's throughput in process mode."""

    def eval(self, payload, future, late):
        return Row(*explain_rejection(payload, future, late))


class _ParseBatch(ScalarFunction):
    """explain_rejection over a batch, for process mode (job.python.execution-mode PROCESS). Vectorized
    (a pandas UDF): rows travel to and from the Python worker as Arrow columns rather than one by
    one, which measured +13% for the whole job in process mode (benchmarks/throughput.py, heap,
    three runs each: 18.6k vs 16.5k records/s). Thread mode runs no pandas UDF."""

    def eval(self, payloads, futures, lates):
        import pandas as pd  # PyFlink's own dependency (on Managed Flink too), not the job's

        rows = [explain_rejection(p, future, late) for p, future, late in zip(payloads, futures, lates)]
        columns = list(zip(*rows)) if rows else [()] * len(FIELDS)
        return pd.DataFrame({name: pd.Series(col, dtype=object) for name, col in zip(FIELDS, columns)})


# Java functions from the project's helpers (connectors/src/main/java), on pipeline.jars: SQL name -> class.
JAVA_FUNCTIONS = {"rate_baselines_of": "io.telemetry.flink.RateBaselines",
                  "copy_numbers_of": "io.telemetry.flink.CopyNumbers",
                  # Counts an output's rows under its metric (jobs/outputs.py), in the job's INSERT.
                  "count_row": "io.telemetry.flink.JobMetrics$CountRow",
                  "archive_line": "io.telemetry.flink.ArchiveLine"}


def register(t_env: TableEnvironment, execution_mode: str = "THREAD") -> None:
    """execution_mode: job.python.execution-mode, THREAD or PROCESS (jobs/config.py)."""
    if execution_mode.upper() == "PROCESS":
        parse = udf(_ParseBatch(), result_type=PARSED_TYPE, deterministic=True, func_type="pandas")
    else:
        parse = udf(_Parse(), result_type=PARSED_TYPE, deterministic=True)
    t_env.create_temporary_system_function("parse_telemetry", parse)
    for name, java_class in JAVA_FUNCTIONS.items():
        t_env.create_java_temporary_system_function(name, java_class)
    # valid_reading(payload): parse_telemetry's row for a valid reading, read in Java with the
    # parser's own checks and columns (given as data), NULL for what only the parser can explain.
    from pyflink.java_gateway import get_gateway

    reading = get_gateway().jvm.io.telemetry.flink.ValidReading(contract_json())
    t_env._j_tenv.createTemporarySystemFunction("valid_reading", reading)

"""Thin PyFlink wrappers around the pure functions in this package; registered by the job."""
from __future__ import annotations

from pyflink.common import Row
from pyflink.table import DataTypes, TableEnvironment
from pyflink.table.udf import udf

from udfs.telemetry import FIELDS, INTEGER_FIELDS, STRING_FIELDS, parse_record


def _field_type(name: str):
    if name in STRING_FIELDS:
        return DataTypes.STRING()
    return DataTypes.INT() if name in INTEGER_FIELDS else DataTypes.DOUBLE()


PARSED_TYPE = DataTypes.ROW([DataTypes.FIELD(name, _field_type(name)) for name in FIELDS])


def _parse(payload, future, late):
    return Row(*parse_record(payload, future, late))


def register(t_env: TableEnvironment) -> None:
    t_env.create_temporary_system_function(
        "parse_telemetry", udf(_parse, result_type=PARSED_TYPE, deterministic=True))

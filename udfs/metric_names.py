"""The job's own metrics: names and dimensions, in one place.

The job registers these counters in Java (connectors/src/main/java/.../JobMetrics.java and
CopyNumbers.java: a Python UDF's metrics reach Flink only in process mode);
the CloudWatch dashboard and alarms in infra/ chart and alarm on them (tests/test_dashboard.py
holds the Terraform to these names). Pure Python: no PyFlink import, so tests and tooling can
read it anywhere.

Managed Service for Apache Flink forwards to CloudWatch every metric registered under the group
METRIC_GROUP, in the namespace AWS/KinesisAnalytics, with the dimension Application (the
application's name) plus one dimension per key/value group below METRIC_GROUP (the `Reason`,
`Rule`, `Channel` below); at a metrics level above APPLICATION it adds Task/Operator/Parallelism
dimensions too (docs: "Use custom metrics with Managed Service for Apache Flink"). Elsewhere they
are ordinary Flink metrics (REST API, any reporter).
"""
from __future__ import annotations

from udfs.telemetry import HEARTBEAT, PARSER_MISMATCH, REASONS

METRIC_GROUP = "kinesisanalytics"
NAMESPACE = "AWS/KinesisAnalytics"   # where Managed Flink puts them in CloudWatch

RECORDS_READ = "telemetryRecordsRead"          # every record the source read, counted once
RECORDS_VALID = "telemetryRecordsValid"        # records that reached the analytics (first copy, valid)
RECORDS_REJECTED = "telemetryRecordsRejected"  # dead letters, by Reason
ALERTS = "telemetryAlerts"                     # alerts sent, by Rule and Channel

# metric name -> the dimensions the job gives it (besides the Application dimension MSF adds).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    RECORDS_READ: (),
    RECORDS_VALID: (),
    RECORDS_REJECTED: ("Reason",),
    ALERTS: ("Rule", "Channel"),
}

# Values of RECORDS_REJECTED's Reason: the parser's reasons plus 'duplicate' (decided in SQL).
DUPLICATE = "duplicate"
DEAD_LETTER_REASONS: tuple[str, ...] = (*REASONS, DUPLICATE)
# Dead letters that are not bad data: a heartbeat only moves the watermark; a parser mismatch is
# a bug in the job, not in the data (sql/12_staging_parsed.sql). The dead-letter ratio
# (infra/modules/alarms, infra/modules/dashboard) counts every other reason.
NOT_BAD_DATA: tuple[str, ...] = (HEARTBEAT, PARSER_MISMATCH)
BAD_DATA_REASONS: tuple[str, ...] = tuple(r for r in DEAD_LETTER_REASONS if r not in NOT_BAD_DATA)

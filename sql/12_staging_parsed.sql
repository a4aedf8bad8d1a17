-- One row: one record read, parsed and checked. `r.reason` is NULL for a valid, on-time record,
--   else a dead-letter reason code (udfs/telemetry.py).
-- Event time: event_ts (passed through with its watermark).
-- Two ways to the same row: a valid reading on time is the row valid_reading read in Java
--   (10_staging_checked.sql: nearly every record, at a fraction of the cost); everything else is
--   the Python parser's row (11_staging_explained.sql). A property test holds the two to the same
--   row for any payload (tests/test_fuzz.py).
-- Read by: 13_staging_deduped.sql.
CREATE TEMPORARY VIEW telemetry_parsed AS
SELECT payload, event_ts, reading AS r
FROM telemetry_checked
WHERE reading IS NOT NULL AND NOT future AND NOT late
UNION ALL
SELECT payload, event_ts, r
FROM telemetry_explained;

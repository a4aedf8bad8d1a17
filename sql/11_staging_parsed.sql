-- One row: one record read, parsed and checked. `r.reason` is NULL for a valid, on-time record,
--   else a dead-letter reason code (udfs/telemetry.py): the source's verdicts become
--   'future_event_time' and 'late' (10_staging_checked.sql).
-- Event time: event_ts (passed through with its watermark).
-- Two ways to the same row: a valid reading on time is the row valid_reading read in Java
--   (nearly every record, at a fraction of the cost); everything else goes to the Python parser,
--   parse_telemetry, which says what is wrong with it. A property test holds the two to the same
--   row for any payload (tests/test_fuzz.py).
-- Read by: 12_staging_deduped.sql, 34_output_dead_letters.sql.
CREATE TEMPORARY VIEW telemetry_parsed AS
SELECT payload, event_ts, reading AS r
FROM telemetry_checked
WHERE reading IS NOT NULL AND NOT future AND NOT late
UNION ALL
SELECT payload, event_ts, parse_telemetry(payload, future, late) AS r
FROM telemetry_checked
WHERE reading IS NULL OR future OR late;

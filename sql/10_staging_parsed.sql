-- One row: one record read from the telemetry stream (table telemetry_raw), parsed and checked.
-- Event time: event_ts, taken from the payload's event_time by the source declaration; the
--   watermark is event_ts minus job.watermark.out-of-orderness.ms (default 5 s).
-- `r.reason` is NULL for a well-formed record, else a dead-letter reason code (udfs/telemetry.py).
-- `is_late`: at or behind the watermark, i.e. too late for the windows and alerts that
--   already moved past it.
-- Read by: 11_staging_deduped.sql, 13_staging_dead_letters.sql.
CREATE TEMPORARY VIEW telemetry_parsed AS
SELECT
  payload,
  event_ts,
  parse_telemetry(payload) AS r,
  -- Before the first watermark nothing is late (CURRENT_WATERMARK is NULL then).
  COALESCE(event_ts <= CURRENT_WATERMARK(event_ts), FALSE) AS is_late
FROM telemetry_raw;

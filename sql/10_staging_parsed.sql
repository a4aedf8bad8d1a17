-- One row: one record read from the telemetry stream (table telemetry_raw), parsed and checked.
-- Event time: event_ts, taken from the payload's event_time by the source declaration; the
--   watermark is event_ts minus job.watermark.out-of-orderness.ms (default 5 s).
-- `r.reason` is NULL for a valid, on-time record, else a dead-letter reason code
--   (udfs/telemetry.py). A well-formed record at or behind the watermark is 'late': too late
--   for the windows and alerts that already moved past it. Lateness is measured here and handed
--   to the parser, so it is decided right after the watermark is assigned (the Python parser
--   holds watermarks back until its batch is done; measuring after it would use a stale one).
-- Read by: 11_staging_deduped.sql, 13_staging_dead_letters.sql.
CREATE TEMPORARY VIEW telemetry_parsed AS
SELECT
  payload,
  event_ts,
  -- Before the first watermark nothing is late (CURRENT_WATERMARK is NULL then).
  parse_telemetry(payload, COALESCE(event_ts <= CURRENT_WATERMARK(event_ts), FALSE)) AS r
FROM telemetry_raw;

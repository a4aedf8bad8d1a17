-- One row: one record read from the telemetry stream (table telemetry_raw), parsed and checked.
-- Event time: event_ts, the payload's event_time, assigned inside the source per shard
--   (jobs/io.py); the watermark is the newest event_ts minus job.watermark.out-of-orderness.ms
--   (default 5 s), per shard, the slowest shard's forwarded. A record whose event_time is
--   unreadable, or more than job.max-future-skew.s ahead of the stream's clock (Kinesis arrival
--   time), has event_ts = the epoch and never moved a watermark.
-- `r.reason` is NULL for a valid, on-time record, else a dead-letter reason code
--   (udfs/telemetry.py). A well-formed record whose event_ts is the epoch was too far ahead:
--   'future_event_time'. One at or behind the watermark is 'late': too late for the windows and
--   alerts that already moved past it. Both are measured here and handed to the parser, so they
--   are decided right after the source (the Python parser holds watermarks back until its batch
--   is done; measuring after it would use a stale one).
-- Read by: 11_staging_deduped.sql, 13_staging_dead_letters.sql.
CREATE TEMPORARY VIEW telemetry_parsed AS
SELECT
  payload,
  event_ts,
  parse_telemetry(
    payload,
    event_ts = TO_TIMESTAMP_LTZ(0, 3),
    -- Before the first watermark nothing is late (CURRENT_WATERMARK is NULL then).
    COALESCE(event_ts <= CURRENT_WATERMARK(event_ts), FALSE)) AS r
FROM telemetry_raw;

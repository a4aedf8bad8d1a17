-- One row: one record read from the telemetry stream (table telemetry_raw), parsed and checked.
-- Event time: event_ts, the payload's event_time, assigned inside the source per shard
--   (jobs/io.py); the watermark is the newest event_ts minus job.watermark.out-of-orderness.ms
--   (default 5 s), per shard, the slowest shard's forwarded. A record whose event_time is
--   unreadable, or more than job.max-future-skew.s ahead of the stream's clock (Kinesis arrival
--   time), has event_ts = the epoch and never moved a watermark.
-- `r.reason` is NULL for a valid, on-time record, else a dead-letter reason code
--   (udfs/telemetry.py). The source's verdict, decided per shard in shard order, is handed to the
--   parser: 'F' -> 'future_event_time'; 'L' (at or behind its shard's watermark, too late for the
--   windows and alerts that already moved past it) -> 'late'.
-- Read by: 11_staging_deduped.sql, 34_output_dead_letters.sql.
CREATE TEMPORARY VIEW telemetry_parsed AS
SELECT
  payload,
  event_ts,
  parse_telemetry(
    payload,
    verdict = 'F',
    -- Also late: behind this subtask's watermark. Only a shard declared idle (job.source.idle-
    -- timeout.ms) lets the others' watermark pass its records; they are dead-lettered, not dropped
    -- by the windows downstream. Before the first watermark CURRENT_WATERMARK is NULL.
    verdict = 'L' OR COALESCE(event_ts <= CURRENT_WATERMARK(event_ts), FALSE)) AS r
FROM telemetry_raw;

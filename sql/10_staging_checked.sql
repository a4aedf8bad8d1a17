-- One row: one record read from the telemetry stream (table telemetry_raw), with the source's
--   verdicts and, for a valid reading, its columns read in Java.
-- Event time: event_ts, the payload's event_time, assigned inside the source per shard
--   (jobs/io.py); the watermark is the newest event_ts minus job.watermark.out-of-orderness.ms
--   (default 5 s), per shard, the slowest shard's forwarded. A record whose event_time is
--   unreadable, or more than job.max-future-skew.s ahead of the stream's clock (Kinesis arrival
--   time), has event_ts = the epoch and never moved a watermark.
-- `future`: the source's verdict 'F', too far ahead of the stream's clock. `late`: the source's
--   verdict 'L' (at or behind its shard's watermark, decided per shard in shard order: too late
--   for the windows and alerts that already moved past it), or behind this subtask's watermark.
-- `reading`: valid_reading(payload), the Python parser's row (udfs/telemetry.py) for a reading
--   that passes every check of the record contract, read in Java with the parser's own checks
--   and columns given as data; NULL for anything else (broken, a heartbeat), which only the
--   parser can explain. A rule of the contract is changed in udfs/telemetry_record.schema.json.
-- Read by: 11_staging_explained.sql, 12_staging_parsed.sql.
CREATE TEMPORARY VIEW telemetry_checked AS
SELECT
  payload,
  event_ts,
  verdict = 'F' AS future,
  -- Only a shard declared idle (job.source.idle-timeout.ms) lets the others' watermark pass its
  -- records; they are dead-lettered, not dropped by the windows downstream. Before the first
  -- watermark CURRENT_WATERMARK is NULL.
  verdict = 'L' OR COALESCE(event_ts <= CURRENT_WATERMARK(event_ts), FALSE) AS late,
  valid_reading(payload) AS reading
FROM telemetry_raw;

-- One row: one rejected record as a JSON line: reason code, detail, what could be read of it
--   (vehicle_id and event_time when readable), when it was rejected, and the raw payload (cut at
--   256 KiB so one envelope stays under Firehose's 1,000 KiB record limit).
-- Reasons: not_json, not_object, missing_field, wrong_type, out_of_range, bad_event_time
--   (from parsing), future_event_time (too far ahead of the stream's clock), late (at or behind
--   the watermark), heartbeat (a record that only moves the watermark), parser_mismatch (valid
--   to the Python parser, not to valid_reading: a bug, see 12_staging_parsed.sql), duplicate
--   (see 13_staging_deduped.sql).
-- Event time: none; rejected_at is processing time (UTC).
-- Read by: the dead-letter sink.
CREATE TEMPORARY VIEW dead_letters AS
SELECT JSON_OBJECT(
  'reason' VALUE reason,
  'detail' VALUE detail,
  'vehicle_id' VALUE vehicle_id,
  'event_time' VALUE event_time,
  'rejected_at' VALUE DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  'payload_truncated' VALUE CHAR_LENGTH(payload) > 262144,
  'payload' VALUE SUBSTRING(payload, 1, 262144)
  ABSENT ON NULL) AS line
FROM (
  SELECT
    r.reason AS reason,
    r.detail AS detail,
    -- As much identity as can be read from a rejected record, as written in it.
    COALESCE(r.vehicle_id, JSON_VALUE(payload, '$.vehicle_id')) AS vehicle_id,
    COALESCE(r.event_time, JSON_VALUE(payload, '$.event_time')) AS event_time,
    payload
  -- Every rejection from parsing: every row of telemetry_explained.
  FROM telemetry_explained
  UNION ALL
  -- Late after the shuffle (13_staging_deduped.sql): the same reason and detail as the parser's.
  SELECT 'late', 'event_time is at or behind the watermark', vehicle_id, event_time, payload
  FROM telemetry_deduped
  WHERE copy_no = 0
  UNION ALL
  SELECT
    'duplicate', 'copy ' || CAST(copy_no AS STRING) || ' of this vehicle_id and event_time',
    vehicle_id, event_time, payload
  FROM telemetry_deduped
  WHERE copy_no > 1
);

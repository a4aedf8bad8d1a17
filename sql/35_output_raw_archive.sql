-- One row: one record read from the telemetry stream, as received, as a JSON line for the raw
--   archive in S3 (Firehose, compressed, by delivery hour): arrival_time (Kinesis' approximate
--   arrival, UTC), shard_id and sequence_number (together they name the Kinesis record: a record
--   archived twice after a restart has the same pair), data (the payload text) and, only when the
--   bytes are not valid UTF-8, data_base64 (the exact bytes; data then has U+FFFD in their place).
-- Every record: valid, rejected, heartbeats; the replay reads the archive back
--   (python -m tooling.replay s3://bucket/prefix --from ... --to ...).
-- A payload over 256 Ki characters is cut (data_truncated): a Firehose record holds 1,000 KiB.
-- Event time: none (the archive is by arrival).
-- Read by: the raw-archive sink.
CREATE TEMPORARY VIEW raw_archive AS
SELECT JSON_OBJECT(
  'arrival_time' VALUE DATE_FORMAT(arrival_ts, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  'shard_id' VALUE shard_id,
  'sequence_number' VALUE sequence_number,
  'data' VALUE SUBSTRING(payload, 1, 262144),
  'data_base64' VALUE CASE WHEN CHAR_LENGTH(payload_base64) <= 349528 THEN payload_base64 END,
  'data_truncated' VALUE CASE WHEN CHAR_LENGTH(payload) > 262144 OR CHAR_LENGTH(payload_base64) > 349528
                              THEN TRUE END
  ABSENT ON NULL) AS line
FROM telemetry_raw;

-- One row: one record read from the telemetry stream, as received, as a JSON line for the raw
--   archive in S3 (Firehose, compressed, by delivery hour): arrival_time (Kinesis' approximate
--   arrival, UTC), shard_id and sequence_number (together they name the Kinesis record: a record
--   archived twice after a restart has the same pair), data (the payload text) and, only when the
--   bytes are not valid UTF-8, data_base64 (the exact bytes; data then has U+FFFD in their place).
-- Every record: valid, rejected, heartbeats; the replay reads the archive back
--   (python -m tooling.replay s3://bucket/prefix --from ... --to ...).
-- A payload over 256 Ki characters (or bytes over 256 KiB) is cut (data_truncated): a Firehose
--   record holds 1,000 KiB.
-- Event time: none (the archive is by arrival).
-- Read by: the raw-archive sink.
CREATE TEMPORARY VIEW raw_archive AS
-- archive_line (a Java function, connectors/src/main/java/.../ArchiveLine.java) writes the JSON
-- line by hand: JSON_OBJECT's tree per row took a third of the job's throughput.
SELECT archive_line(origin, payload) AS line
FROM telemetry_raw;

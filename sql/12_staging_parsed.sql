-- One row: one valid, on-time reading, parsed and checked: the row valid_reading read in Java
--   (10_staging_checked.sql), with `r.reason` NULL.
-- Event time: event_ts (passed through with its watermark).
-- One path from the source: every other record goes to the Python parser
--   (11_staging_explained.sql), which says why it is rejected, straight to the dead letters. Its
--   rows do not join these: two paths from one source subtask reach the dedupe on two channels,
--   and after a quiet spell the watermark could come by the parser's path before this path's
--   readings, making them late (tests/test_shards_out_of_step.py). A record the parser finds
--   valid and valid_reading did not is 'parser_mismatch' there (a property test holds the two to
--   the same verdict and row for any payload: tests/test_fuzz.py).
-- Read by: 13_staging_deduped.sql.
CREATE TEMPORARY VIEW telemetry_parsed AS
SELECT payload, event_ts, reading AS r
FROM telemetry_checked
WHERE reading IS NOT NULL AND NOT future AND NOT late;

-- One row: one record that valid_reading could not vouch for (10_staging_checked.sql: a broken
--   record, a heartbeat, or a reading the source found late or too far ahead), parsed by the
--   Python parser, parse_telemetry (udfs/telemetry.py explain_rejection), which says what is
--   wrong with it: `r.reason` is a dead-letter reason code ('future_event_time' and 'late' from
--   the source's verdicts; 'parser_mismatch' for a reading valid to the parser, which never
--   happens while the two agree), `r.detail` the detail. Every row is a rejection; nearly every
--   record is a valid reading and never comes here.
-- Event time: event_ts (passed through with its watermark).
-- Read by: 34_output_dead_letters.sql.
CREATE TEMPORARY VIEW telemetry_explained AS
SELECT payload, event_ts, parse_telemetry(payload, future, late) AS r
FROM telemetry_checked
WHERE reading IS NULL OR future OR late;

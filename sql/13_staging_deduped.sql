-- One row: one well-formed record, numbered among the records with the same vehicle_id and
--   event_time (copy_no 1 = first seen; 2.. = duplicates; 0 = late), passed on at once.
-- Event time: event_ts (passed through with its watermark).
-- Dedupe horizon: the watermark. A copy arriving while its event_time is still ahead of the
--   watermark is a duplicate; a copy arriving after that is late (34_output_dead_letters.sql).
--   copy_numbers_of (a Java process table function, connectors/src/main/java/.../CopyNumbers.java)
--   remembers an event time only while it is ahead of the watermark, so neither its state nor
--   any output's latency grows with the out-of-orderness allowed. Its watermark is the whole
--   job's, after the shuffle by vehicle: a record staging found on time for its own subtask can
--   be behind it (a subtask whose shards were all quiet past job.source.idle-timeout.ms is left
--   out of the watermark meanwhile) and gets copy_no 0.
-- EXTRA2 = fuel_consumption * lap_time, the enrichment the original Firehose Lambda added.
-- Read by: 14_staging_valid.sql, 34_output_dead_letters.sql.
CREATE TEMPORARY VIEW telemetry_deduped AS
WITH well_formed AS (
  SELECT
    r.vehicle_id AS vehicle_id,
    r.event_time AS event_time,
    event_ts,
    r.speed AS speed,
    CAST(r.rpm AS INT) AS rpm,
    CAST(r.gear AS INT) AS gear,
    r.throttle AS throttle,
    r.brakes AS brakes,
    r.steering_angle AS steering_angle,
    r.engine_temp AS engine_temp,
    r.brake_temp_front_left AS brake_temp_front_left,
    r.brake_temp_front_right AS brake_temp_front_right,
    r.brake_temp_rear_left AS brake_temp_rear_left,
    r.brake_temp_rear_right AS brake_temp_rear_right,
    r.tire_temp_front_left AS tire_temp_front_left,
    r.tire_temp_front_right AS tire_temp_front_right,
    r.tire_temp_rear_left AS tire_temp_rear_left,
    r.tire_temp_rear_right AS tire_temp_rear_right,
    r.fuel_consumption AS fuel_consumption,
    r.lap_time AS lap_time,
    r.fuel_consumption * r.lap_time AS extra2,
    payload
  FROM telemetry_parsed)
SELECT vehicle_id, event_time, event_ts, speed, rpm, gear, throttle, brakes, steering_angle, engine_temp,
  brake_temp_front_left, brake_temp_front_right, brake_temp_rear_left, brake_temp_rear_right,
  tire_temp_front_left, tire_temp_front_right, tire_temp_rear_left, tire_temp_rear_right,
  fuel_consumption, lap_time, extra2, payload, copy_no
FROM copy_numbers_of(input => TABLE well_formed PARTITION BY vehicle_id);

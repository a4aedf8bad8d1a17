-- One row: one well-formed, on-time record, numbered among the records with the same
--   vehicle_id and event_time (copy_no 1 = first seen; 2.. = duplicates).
-- Event time: event_ts; rows leave in event-time order once the watermark passes them.
-- Dedupe horizon: the watermark. A copy arriving while its event_time is still ahead of the
--   watermark is a duplicate; a copy arriving after that is late (34_output_dead_letters.sql).
--   Keys expire after job.state-ttl.s without updates.
-- EXTRA2 = fuel_consumption * lap_time, the enrichment the original Firehose Lambda added.
-- Read by: 12_staging_valid.sql, 34_output_dead_letters.sql.
CREATE TEMPORARY VIEW telemetry_deduped AS
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
  payload,
  COUNT(*) OVER (
    PARTITION BY r.vehicle_id, event_ts
    ORDER BY event_ts
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS copy_no
FROM telemetry_parsed
WHERE r.reason IS NULL;

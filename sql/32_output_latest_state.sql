-- One row: the newest reading (by event time) of one vehicle: its last-known state. An upsert
--   stream keyed by vehicle_id; an older reading arriving out of order does not replace it.
-- Event time: last_event_time.
-- Read by: the latest-state sink (DynamoDB).
CREATE TEMPORARY VIEW latest_state AS
SELECT
  vehicle_id, event_time AS last_event_time, speed, rpm, gear, throttle, brakes, steering_angle,
  engine_temp,
  brake_temp_front_left, brake_temp_front_right, brake_temp_rear_left, brake_temp_rear_right,
  tire_temp_front_left, tire_temp_front_right, tire_temp_rear_left, tire_temp_rear_right,
  fuel_consumption, lap_time, extra2
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY vehicle_id ORDER BY event_ts DESC) AS rn
  FROM telemetry_valid)
WHERE rn = 1;

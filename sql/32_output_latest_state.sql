-- One row: the newest reading (by event time) of one vehicle within one interval of
--   job.latest-state.interval.s (default 10 s): its last-known state, for an upsert keyed by
--   vehicle_id. A vehicle's item is written at most once per interval, not on every reading
--   (DynamoDB bills each write; at 1 Hz a write per reading cost as much as the Lambda design
--   this replaces), and only for intervals in which it sent something. An older reading arriving
--   out of order never replaces a newer one: it is in an earlier interval, written earlier.
-- Event time: last_event_time; a row is emitted when the watermark passes its interval's end.
-- Read by: the latest-state sink (DynamoDB).
CREATE TEMPORARY VIEW latest_state AS
SELECT
  vehicle_id, event_time AS last_event_time, speed, rpm, gear, throttle, brakes, steering_angle,
  engine_temp,
  brake_temp_front_left, brake_temp_front_right, brake_temp_rear_left, brake_temp_rear_right,
  tire_temp_front_left, tire_temp_front_right, tire_temp_rear_left, tire_temp_rear_right,
  fuel_consumption, lap_time, extra2
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, vehicle_id ORDER BY event_ts DESC) AS rn
  FROM TABLE(TUMBLE(TABLE telemetry_valid, DESCRIPTOR(event_ts), {{job.latest-state.interval}})))
WHERE rn = 1;

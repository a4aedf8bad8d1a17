-- One row: one valid reading with, for each temperature channel, its lowest value in the
--   preceding rules.rate.window.s seconds of event time (this reading included): the baseline
--   a rate-of-change rule measures a rise against.
-- Event time: event_ts.
-- Read by: 24_analytics_alerts.sql.
CREATE TEMPORARY VIEW channel_baselines AS
SELECT
  vehicle_id, event_time, event_ts, speed, rpm,
  engine_temp,
  brake_temp_front_left, brake_temp_front_right, brake_temp_rear_left, brake_temp_rear_right,
  tire_temp_front_left, tire_temp_front_right, tire_temp_rear_left, tire_temp_rear_right,
  MIN(engine_temp) OVER w AS engine_baseline,
  MIN(brake_temp_front_left) OVER w AS brake_front_left_baseline,
  MIN(brake_temp_front_right) OVER w AS brake_front_right_baseline,
  MIN(brake_temp_rear_left) OVER w AS brake_rear_left_baseline,
  MIN(brake_temp_rear_right) OVER w AS brake_rear_right_baseline,
  MIN(tire_temp_front_left) OVER w AS tire_front_left_baseline,
  MIN(tire_temp_front_right) OVER w AS tire_front_right_baseline,
  MIN(tire_temp_rear_left) OVER w AS tire_rear_left_baseline,
  MIN(tire_temp_rear_right) OVER w AS tire_rear_right_baseline
FROM telemetry_valid
WINDOW w AS (
  PARTITION BY vehicle_id
  ORDER BY event_ts
  RANGE BETWEEN INTERVAL '{{rules.rate.window.s}}' SECOND PRECEDING AND CURRENT ROW);

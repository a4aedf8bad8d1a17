-- One row: one valid telemetry reading, enriched with extra2; each (vehicle_id, event_time) once.
-- Event time: event_ts (watermark from the source).
-- Read by: 20_analytics_rate_baselines.sql, 21_analytics_rule_breaches.sql,
--   30_output_fast_laps.sql, 31_output_window_aggregates.sql, 32_output_latest_state.sql.
CREATE TEMPORARY VIEW telemetry_valid AS
SELECT
  vehicle_id, event_time, event_ts, speed, rpm, gear, throttle, brakes, steering_angle,
  engine_temp,
  brake_temp_front_left, brake_temp_front_right, brake_temp_rear_left, brake_temp_rear_right,
  tire_temp_front_left, tire_temp_front_right, tire_temp_rear_left, tire_temp_rear_right,
  fuel_consumption, lap_time, extra2
FROM telemetry_deduped
WHERE copy_no = 1;

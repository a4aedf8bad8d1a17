-- One row: one valid reading of one temperature channel, with that channel's lowest value in
--   the preceding rules.rate.<channel>.window.s seconds of event time (this reading included):
--   the baseline its rate-of-change rule measures a rise against, and the rise it allows.
-- One SELECT per channel because each channel has its own look-back and an OVER window has one
--   length. A channel whose rule is disabled (rules.rate.<channel>.rise = 0) has a constant false
--   filter, so the planner drops its branch and it costs nothing.
-- Event time: event_ts.
-- Read by: 21_analytics_rule_breaches.sql.
CREATE TEMPORARY VIEW rate_baselines AS
SELECT vehicle_id, event_time, event_ts, 'engine' AS channel, engine_temp AS `value`,
  {{rules.rate.engine.rise}} AS allowed_rise,
  MIN(engine_temp) OVER (PARTITION BY vehicle_id ORDER BY event_ts
    RANGE BETWEEN {{rules.rate.engine.window}} PRECEDING AND CURRENT ROW) AS baseline
FROM telemetry_valid WHERE {{rules.rate.engine.rise}} > 0
UNION ALL
SELECT vehicle_id, event_time, event_ts, 'brake_front_left' AS channel, brake_temp_front_left AS `value`,
  {{rules.rate.brake_front_left.rise}} AS allowed_rise,
  MIN(brake_temp_front_left) OVER (PARTITION BY vehicle_id ORDER BY event_ts
    RANGE BETWEEN {{rules.rate.brake_front_left.window}} PRECEDING AND CURRENT ROW) AS baseline
FROM telemetry_valid WHERE {{rules.rate.brake_front_left.rise}} > 0
UNION ALL
SELECT vehicle_id, event_time, event_ts, 'brake_front_right' AS channel, brake_temp_front_right AS `value`,
  {{rules.rate.brake_front_right.rise}} AS allowed_rise,
  MIN(brake_temp_front_right) OVER (PARTITION BY vehicle_id ORDER BY event_ts
    RANGE BETWEEN {{rules.rate.brake_front_right.window}} PRECEDING AND CURRENT ROW) AS baseline
FROM telemetry_valid WHERE {{rules.rate.brake_front_right.rise}} > 0
UNION ALL
SELECT vehicle_id, event_time, event_ts, 'brake_rear_left' AS channel, brake_temp_rear_left AS `value`,
  {{rules.rate.brake_rear_left.rise}} AS allowed_rise,
  MIN(brake_temp_rear_left) OVER (PARTITION BY vehicle_id ORDER BY event_ts
    RANGE BETWEEN {{rules.rate.brake_rear_left.window}} PRECEDING AND CURRENT ROW) AS baseline
FROM telemetry_valid WHERE {{rules.rate.brake_rear_left.rise}} > 0
UNION ALL
SELECT vehicle_id, event_time, event_ts, 'brake_rear_right' AS channel, brake_temp_rear_right AS `value`,
  {{rules.rate.brake_rear_right.rise}} AS allowed_rise,
  MIN(brake_temp_rear_right) OVER (PARTITION BY vehicle_id ORDER BY event_ts
    RANGE BETWEEN {{rules.rate.brake_rear_right.window}} PRECEDING AND CURRENT ROW) AS baseline
FROM telemetry_valid WHERE {{rules.rate.brake_rear_right.rise}} > 0
UNION ALL
SELECT vehicle_id, event_time, event_ts, 'tire_front_left' AS channel, tire_temp_front_left AS `value`,
  {{rules.rate.tire_front_left.rise}} AS allowed_rise,
  MIN(tire_temp_front_left) OVER (PARTITION BY vehicle_id ORDER BY event_ts
    RANGE BETWEEN {{rules.rate.tire_front_left.window}} PRECEDING AND CURRENT ROW) AS baseline
FROM telemetry_valid WHERE {{rules.rate.tire_front_left.rise}} > 0
UNION ALL
SELECT vehicle_id, event_time, event_ts, 'tire_front_right' AS channel, tire_temp_front_right AS `value`,
  {{rules.rate.tire_front_right.rise}} AS allowed_rise,
  MIN(tire_temp_front_right) OVER (PARTITION BY vehicle_id ORDER BY event_ts
    RANGE BETWEEN {{rules.rate.tire_front_right.window}} PRECEDING AND CURRENT ROW) AS baseline
FROM telemetry_valid WHERE {{rules.rate.tire_front_right.rise}} > 0
UNION ALL
SELECT vehicle_id, event_time, event_ts, 'tire_rear_left' AS channel, tire_temp_rear_left AS `value`,
  {{rules.rate.tire_rear_left.rise}} AS allowed_rise,
  MIN(tire_temp_rear_left) OVER (PARTITION BY vehicle_id ORDER BY event_ts
    RANGE BETWEEN {{rules.rate.tire_rear_left.window}} PRECEDING AND CURRENT ROW) AS baseline
FROM telemetry_valid WHERE {{rules.rate.tire_rear_left.rise}} > 0
UNION ALL
SELECT vehicle_id, event_time, event_ts, 'tire_rear_right' AS channel, tire_temp_rear_right AS `value`,
  {{rules.rate.tire_rear_right.rise}} AS allowed_rise,
  MIN(tire_temp_rear_right) OVER (PARTITION BY vehicle_id ORDER BY event_ts
    RANGE BETWEEN {{rules.rate.tire_rear_right.window}} PRECEDING AND CURRENT ROW) AS baseline
FROM telemetry_valid WHERE {{rules.rate.tire_rear_right.rise}} > 0;

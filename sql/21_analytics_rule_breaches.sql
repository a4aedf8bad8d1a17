-- One row: one rule breach of one reading and channel, before storm suppression.
--   rule 'threshold': value > threshold (rules.threshold.<channel>).
--   rule 'rate_of_change': value - baseline > threshold, where baseline is the channel's lowest
--   value within rules.rate.<channel>.window.s and threshold the allowed rise
--   (rules.rate.<channel>.rise; 0 disables the rule for that channel), from
--   20_analytics_rate_baselines.sql.
-- Event time: event_ts.
-- Read by: 33_output_alerts.sql.
CREATE TEMPORARY VIEW rule_breaches AS
SELECT b.vehicle_id, b.event_time, b.event_ts, c.channel, 'threshold' AS rule, c.`value`, c.threshold,
  CAST(NULL AS DOUBLE) AS baseline
FROM telemetry_valid AS b
CROSS JOIN UNNEST(ARRAY[
  ROW('engine', b.engine_temp, {{rules.threshold.engine}}),
  ROW('brake_front_left', b.brake_temp_front_left, {{rules.threshold.brake_front_left}}),
  ROW('brake_front_right', b.brake_temp_front_right, {{rules.threshold.brake_front_right}}),
  ROW('brake_rear_left', b.brake_temp_rear_left, {{rules.threshold.brake_rear_left}}),
  ROW('brake_rear_right', b.brake_temp_rear_right, {{rules.threshold.brake_rear_right}}),
  ROW('tire_front_left', b.tire_temp_front_left, {{rules.threshold.tire_front_left}}),
  ROW('tire_front_right', b.tire_temp_front_right, {{rules.threshold.tire_front_right}}),
  ROW('tire_rear_left', b.tire_temp_rear_left, {{rules.threshold.tire_rear_left}}),
  ROW('tire_rear_right', b.tire_temp_rear_right, {{rules.threshold.tire_rear_right}}),
  ROW('speed', b.speed, {{rules.threshold.speed}}),
  ROW('rpm', CAST(b.rpm AS DOUBLE), {{rules.threshold.rpm}})
]) AS c (channel, `value`, threshold)
WHERE c.`value` > c.threshold
UNION ALL
SELECT vehicle_id, event_time, event_ts, channel, 'rate_of_change' AS rule, `value`, allowed_rise AS threshold,
  baseline
FROM rate_baselines
WHERE `value` - baseline > allowed_rise;

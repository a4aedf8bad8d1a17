-- One row: one alert for the alert stream (JSON, partitioned by vehicle_id).
--   rule 'threshold': value > threshold (rules.threshold.<channel>).
--   rule 'rate_of_change': value - baseline > threshold, where baseline is the channel's lowest
--   value within rules.rate.<channel>.window.s and threshold the allowed rise
--   (rules.rate.<channel>.rise; 0 disables the rule for that channel), from 23_analytics_rate_baselines.sql.
-- Storm suppression: a breach raises an alert only when the same vehicle, rule and channel had
--   no breach in the preceding rules.alert.cooldown.s of event time, so one overheating ramp
--   yields one alert and a ramp after a quiet cooldown yields a new one.
-- alert_id: MD5 of vehicle_id|rule|channel|event_time, the same on every replay, so consumers
--   can de-duplicate.
-- Event time: event_ts (event_time in the output); detected_at is processing time (UTC).
-- Read by: the alerts sink (Kinesis).
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

CREATE TEMPORARY VIEW alerts AS
SELECT
  MD5(vehicle_id || '|' || rule || '|' || channel || '|' || event_time) AS alert_id,
  vehicle_id, rule, channel, `value`, threshold, baseline, event_time,
  DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS detected_at
FROM (
  SELECT *,
    COUNT(*) OVER (
      PARTITION BY vehicle_id, rule, channel
      ORDER BY event_ts
      RANGE BETWEEN {{rules.alert.cooldown}} PRECEDING AND CURRENT ROW) AS breaches_in_cooldown
  FROM rule_breaches)
WHERE breaches_in_cooldown = 1;

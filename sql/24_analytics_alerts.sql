-- One row: one alert for the alert stream (JSON, partitioned by vehicle_id).
--   rule 'threshold': value > threshold (rules.threshold.<channel>).
--   rule 'rate_of_change': value - baseline > threshold, where baseline is the channel's lowest
--   value within rules.rate.window.s and threshold the allowed rise (rules.rate.<channel>.rise;
--   0 disables the rule for that channel).
-- Storm suppression: a breach raises an alert only when the same vehicle, rule and channel had
--   no breach in the preceding rules.alert.cooldown.s of event time, so one overheating ramp
--   yields one alert and a ramp after a quiet cooldown yields a new one.
-- alert_id: MD5 of vehicle_id|rule|channel|event_time, the same on every replay, so consumers
--   can de-duplicate.
-- Event time: event_ts (event_time in the output); detected_at is processing time (UTC).
-- Read by: the alerts sink (Kinesis).
CREATE TEMPORARY VIEW rule_breaches AS
SELECT b.vehicle_id, b.event_time, b.event_ts, c.channel, c.rule, c.`value`, c.threshold, c.baseline
FROM channel_baselines AS b
CROSS JOIN UNNEST(ARRAY[
  ROW('engine', 'threshold', b.engine_temp, {{rules.threshold.engine}}, CAST(NULL AS DOUBLE)),
  ROW('engine', 'rate_of_change', b.engine_temp, {{rules.rate.engine.rise}}, b.engine_baseline),
  ROW('brake_front_left', 'threshold', b.brake_temp_front_left, {{rules.threshold.brake_front_left}}, CAST(NULL AS DOUBLE)),
  ROW('brake_front_left', 'rate_of_change', b.brake_temp_front_left, {{rules.rate.brake_front_left.rise}}, b.brake_front_left_baseline),
  ROW('brake_front_right', 'threshold', b.brake_temp_front_right, {{rules.threshold.brake_front_right}}, CAST(NULL AS DOUBLE)),
  ROW('brake_front_right', 'rate_of_change', b.brake_temp_front_right, {{rules.rate.brake_front_right.rise}}, b.brake_front_right_baseline),
  ROW('brake_rear_left', 'threshold', b.brake_temp_rear_left, {{rules.threshold.brake_rear_left}}, CAST(NULL AS DOUBLE)),
  ROW('brake_rear_left', 'rate_of_change', b.brake_temp_rear_left, {{rules.rate.brake_rear_left.rise}}, b.brake_rear_left_baseline),
  ROW('brake_rear_right', 'threshold', b.brake_temp_rear_right, {{rules.threshold.brake_rear_right}}, CAST(NULL AS DOUBLE)),
  ROW('brake_rear_right', 'rate_of_change', b.brake_temp_rear_right, {{rules.rate.brake_rear_right.rise}}, b.brake_rear_right_baseline),
  ROW('tire_front_left', 'threshold', b.tire_temp_front_left, {{rules.threshold.tire_front_left}}, CAST(NULL AS DOUBLE)),
  ROW('tire_front_left', 'rate_of_change', b.tire_temp_front_left, {{rules.rate.tire_front_left.rise}}, b.tire_front_left_baseline),
  ROW('tire_front_right', 'threshold', b.tire_temp_front_right, {{rules.threshold.tire_front_right}}, CAST(NULL AS DOUBLE)),
  ROW('tire_front_right', 'rate_of_change', b.tire_temp_front_right, {{rules.rate.tire_front_right.rise}}, b.tire_front_right_baseline),
  ROW('tire_rear_left', 'threshold', b.tire_temp_rear_left, {{rules.threshold.tire_rear_left}}, CAST(NULL AS DOUBLE)),
  ROW('tire_rear_left', 'rate_of_change', b.tire_temp_rear_left, {{rules.rate.tire_rear_left.rise}}, b.tire_rear_left_baseline),
  ROW('tire_rear_right', 'threshold', b.tire_temp_rear_right, {{rules.threshold.tire_rear_right}}, CAST(NULL AS DOUBLE)),
  ROW('tire_rear_right', 'rate_of_change', b.tire_temp_rear_right, {{rules.rate.tire_rear_right.rise}}, b.tire_rear_right_baseline),
  ROW('speed', 'threshold', b.speed, {{rules.threshold.speed}}, CAST(NULL AS DOUBLE)),
  ROW('rpm', 'threshold', CAST(b.rpm AS DOUBLE), {{rules.threshold.rpm}}, CAST(NULL AS DOUBLE))
]) AS c (channel, rule, `value`, threshold, baseline)
WHERE (c.rule = 'threshold' AND c.`value` > c.threshold)
   OR (c.rule = 'rate_of_change' AND c.threshold > 0 AND c.`value` - c.baseline > c.threshold);

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
      RANGE BETWEEN INTERVAL '{{rules.alert.cooldown.s}}' SECOND PRECEDING AND CURRENT ROW) AS breaches_in_cooldown
  FROM rule_breaches)
WHERE breaches_in_cooldown = 1;

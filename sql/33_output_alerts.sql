-- One row: one alert for the alert stream (JSON, partitioned by vehicle_id), from the breaches
--   of 21_analytics_rule_breaches.sql.
-- Storm suppression: a breach raises an alert only when the same vehicle, rule and channel had
--   no breach in the preceding rules.alert.cooldown.s of event time, so one overheating ramp
--   yields one alert and a ramp after a quiet cooldown yields a new one.
-- alert_id: MD5 of vehicle_id|rule|channel|event_time, the same on every replay, so consumers
--   can de-duplicate.
-- Event time: event_ts (event_time in the output); detected_at is processing time (UTC).
-- Read by: the alerts sink (Kinesis).
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

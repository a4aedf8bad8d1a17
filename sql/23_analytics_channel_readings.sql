-- One row: one reading of one watched channel of one vehicle, with the rules that apply to it:
--   the threshold (rules.threshold.<channel>) and the allowed rise (rules.rate.<channel>.rise,
--   0 = no rate rule) within rules.rate.window.s, plus the lowest reading of that channel in
--   the look-back window (the rate-of-change baseline).
-- Event time: event_ts.
-- Read by: 24_analytics_alerts.sql.
CREATE TEMPORARY VIEW channel_readings AS
SELECT t.vehicle_id, t.event_time, t.event_ts, c.channel, c.reading, c.threshold, c.rise
FROM telemetry_valid AS t
CROSS JOIN UNNEST(ARRAY[
  ROW('engine', t.engine_temp, {{rules.threshold.engine}}, {{rules.rate.engine.rise}}),
  ROW('brake_front_left', t.brake_temp_front_left, {{rules.threshold.brake_front_left}}, {{rules.rate.brake_front_left.rise}}),
  ROW('brake_front_right', t.brake_temp_front_right, {{rules.threshold.brake_front_right}}, {{rules.rate.brake_front_right.rise}}),
  ROW('brake_rear_left', t.brake_temp_rear_left, {{rules.threshold.brake_rear_left}}, {{rules.rate.brake_rear_left.rise}}),
  ROW('brake_rear_right', t.brake_temp_rear_right, {{rules.threshold.brake_rear_right}}, {{rules.rate.brake_rear_right.rise}}),
  ROW('tire_front_left', t.tire_temp_front_left, {{rules.threshold.tire_front_left}}, {{rules.rate.tire_front_left.rise}}),
  ROW('tire_front_right', t.tire_temp_front_right, {{rules.threshold.tire_front_right}}, {{rules.rate.tire_front_right.rise}}),
  ROW('tire_rear_left', t.tire_temp_rear_left, {{rules.threshold.tire_rear_left}}, {{rules.rate.tire_rear_left.rise}}),
  ROW('tire_rear_right', t.tire_temp_rear_right, {{rules.threshold.tire_rear_right}}, {{rules.rate.tire_rear_right.rise}}),
  ROW('speed', t.speed, {{rules.threshold.speed}}, 0.0E0),
  ROW('rpm', CAST(t.rpm AS DOUBLE), {{rules.threshold.rpm}}, 0.0E0)
]) AS c (channel, reading, threshold, rise);

CREATE TEMPORARY VIEW channel_baselines AS
SELECT
  vehicle_id, event_time, event_ts, channel, reading, threshold, rise,
  MIN(reading) OVER (
    PARTITION BY vehicle_id, channel
    ORDER BY event_ts
    RANGE BETWEEN INTERVAL '{{rules.rate.window.s}}' SECOND PRECEDING AND CURRENT ROW) AS baseline
FROM channel_readings;

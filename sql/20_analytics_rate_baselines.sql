-- One row: one valid reading of one temperature channel, with that channel's lowest value in
--   the preceding rules.rate.<channel>.window.s seconds of event time (this reading included):
--   the baseline its rate-of-change rule measures a rise against, and the rise it allows.
-- rate_baselines_of (a Java process table function, connectors/src/main/java/.../RateBaselines.java)
--   gives, per channel, the rows of MIN(<column>) OVER (PARTITION BY vehicle_id ORDER BY event_ts
--   RANGE BETWEEN <look-back> PRECEDING AND CURRENT ROW), for every channel in one pass and at a
--   cost per reading that does not grow with the look-back. One entry per channel:
--   name, column, look-back in seconds, allowed rise; a rise of 0 disables the rule (no rows).
-- Event time: event_ts (the function's rowtime: a reading's own event time).
-- Read by: 21_analytics_rule_breaches.sql.
CREATE TEMPORARY VIEW rate_baselines AS
SELECT vehicle_id, event_time, rowtime AS event_ts, channel, `value`, allowed_rise, baseline
FROM rate_baselines_of(
  input => TABLE telemetry_valid PARTITION BY vehicle_id,
  on_time => DESCRIPTOR(event_ts),
  channels => '
    engine            engine_temp            {{rules.rate.engine.window.s}} {{rules.rate.engine.rise}},
    brake_front_left  brake_temp_front_left  {{rules.rate.brake_front_left.window.s}} {{rules.rate.brake_front_left.rise}},
    brake_front_right brake_temp_front_right {{rules.rate.brake_front_right.window.s}} {{rules.rate.brake_front_right.rise}},
    brake_rear_left   brake_temp_rear_left   {{rules.rate.brake_rear_left.window.s}} {{rules.rate.brake_rear_left.rise}},
    brake_rear_right  brake_temp_rear_right  {{rules.rate.brake_rear_right.window.s}} {{rules.rate.brake_rear_right.rise}},
    tire_front_left   tire_temp_front_left   {{rules.rate.tire_front_left.window.s}} {{rules.rate.tire_front_left.rise}},
    tire_front_right  tire_temp_front_right  {{rules.rate.tire_front_right.window.s}} {{rules.rate.tire_front_right.rise}},
    tire_rear_left    tire_temp_rear_left    {{rules.rate.tire_rear_left.window.s}} {{rules.rate.tire_rear_left.rise}},
    tire_rear_right   tire_temp_rear_right   {{rules.rate.tire_rear_right.window.s}} {{rules.rate.tire_rear_right.rise}}');

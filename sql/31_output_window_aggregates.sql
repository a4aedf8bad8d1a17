-- One row: the statistics of one tumbling window (job.window.size.s, default 60 s) for one
--   vehicle, or for the whole fleet when vehicle_id = '__fleet__' (reserved: staging rejects it
--   as a vehicle_id). Keyed by (vehicle_id, window_start): a re-run writes the same item again.
-- Event time: the window; a row is emitted when the watermark passes window_end.
-- Read by: the window-aggregates sink (DynamoDB).
CREATE TEMPORARY VIEW window_aggregates AS
SELECT
  COALESCE(vehicle_id, '__fleet__') AS vehicle_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS window_start,
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') AS window_end,
  COUNT(*) AS record_count,
  COUNT(DISTINCT vehicle_id) AS active_vehicles,
  AVG(speed) AS avg_speed,
  MAX(speed) AS max_speed,
  MAX(rpm) AS max_rpm,
  AVG(throttle) AS avg_throttle,
  AVG(engine_temp) AS avg_engine_temp,
  MAX(engine_temp) AS max_engine_temp,
  GREATEST(MAX(brake_temp_front_left), MAX(brake_temp_front_right),
           MAX(brake_temp_rear_left), MAX(brake_temp_rear_right)) AS max_brake_temp,
  GREATEST(MAX(tire_temp_front_left), MAX(tire_temp_front_right),
           MAX(tire_temp_rear_left), MAX(tire_temp_rear_right)) AS max_tire_temp,
  AVG(extra2) AS avg_extra2
FROM TABLE(TUMBLE(TABLE telemetry_valid, DESCRIPTOR(event_ts), {{job.window.size}}))
-- One pass: the per-vehicle rows and the fleet row (the empty grouping set).
GROUP BY window_start, window_end, GROUPING SETS ((vehicle_id), ());

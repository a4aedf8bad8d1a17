-- One row: one CSV line for a reading at or above rules.fast-lap.min-speed (default 200 km/h),
--   the successor of the KDA SQL pump `SELECT STREAM speed, rpm, gear, throttle ... WHERE
--   speed >= 200`. Columns: vehicle_id,event_time,speed,rpm,gear,throttle,extra2 (no header;
--   vehicle_id cannot hold a comma or quote, see the record contract).
-- Event time: none kept; event_time is written as received.
-- Read by: the fast-laps sink (Firehose -> S3).
CREATE TEMPORARY VIEW fast_laps AS
SELECT CONCAT_WS(',',
  vehicle_id,
  event_time,
  CAST(speed AS STRING),
  CAST(rpm AS STRING),
  CAST(gear AS STRING),
  CAST(throttle AS STRING),
  CAST(extra2 AS STRING)) AS line
FROM telemetry_valid
WHERE speed >= {{rules.fast-lap.min-speed}};

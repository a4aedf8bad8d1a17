# Example: terraform plan -var-file=environments/example.tfvars
region      = "eu-west-1"
name_prefix = "demo-"

telemetry_stream_capacity = { mode = "PROVISIONED", shard_count = 2 }
alert_stream_capacity     = { mode = "ON_DEMAND" }
stream_retention_hours    = 48

# Uncomment to read with enhanced fan-out (reader.type EFO) instead of polling.
# efo_consumer_name = "telemetry-job"

firehose_buffering   = { size_mb = 64, interval_s = 120 }
firehose_compression = "GZIP"

code_object_key   = "telemetry-job.zip"
start_application = false
parallelism       = 2

# Job properties beyond the ones Terraform derives (groups/keys of jobs/config.py SCHEMA).
property_overrides = {
  "rules" = {
    "threshold.engine"   = "125"
    "alert.cooldown.s"   = "120"
    "fast-lap.min-speed" = "210"
  }
  "job" = {
    "window.size.s" = "60"
  }
  "sinks" = {
    "flush.timeout.ms" = "2000"
  }
}

alert_email_addresses = ["race-engineers@example.com"]
alert_sms_numbers     = []

alarm_thresholds = { source_lag_ms = 30000, alerts_per_5_minutes = 300 }

enable_iot       = true
iot_topic_filter = "vehicles/+/telemetry"

# Dead-letter ratio alarm (bad data in % of records read; heartbeats do not count).
dead_letter_alarm = { ratio_percent = 2, evaluation_periods = 3, datapoints_to_alarm = 2 }

# HTTPS ingest: API Gateway straight into the telemetry stream, every body checked against the
# record contract (ingest.tf, infra/README.md "HTTPS ingest"). One API key per producer.
enable_http_ingest = true
http_ingest = {
  api_key_names  = ["pit-wall", "garage"]
  key_throttle   = { rate_limit = 20, burst_limit = 40 }
  stage_throttle = { rate_limit = 100, burst_limit = 200 }
}

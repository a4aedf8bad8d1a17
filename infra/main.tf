# Root module: wires the pipeline's modules together.
#
#   IoT Core, HTTPS API (optional; ingest.tf) --> Kinesis "telemetry" --> MSF application (PyFlink job)
#        --> Firehose "fast laps"    --> S3 processed bucket   (CSV lines)
#        --> Firehose "dead letters" --> S3 dead-letter bucket (JSON lines)
#        --> Firehose "raw archive"  --> S3 raw-archive bucket (every record, JSON lines; archive.tf)
#        --> DynamoDB window aggregates / latest state
#        --> Kinesis "alerts" --> EventBridge Pipe --> SNS (e-mail, SMS)
#   CloudWatch alarms --> ops topic (or the alert topic); CloudWatch dashboard (dashboard.tf)

locals {
  names = { for k, v in var.names : k => "${var.name_prefix}${v}" }
}

module "kms" {
  source = "./modules/kms_key"

  alias = "${var.name_prefix}telemetry-pipeline"
  log_group_arn_patterns = concat([
    "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/kinesis-analytics/${local.names.application}",
    "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/kinesisfirehose/${local.names.fast_laps_delivery_stream}",
    "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/kinesisfirehose/${local.names.dead_letter_delivery_stream}",
    "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/kinesisfirehose/${local.names.raw_archive_delivery_stream}",
  ], local.http_ingest_log_group_arn_patterns) # ingest.tf
}

# ---------------------------------------------------------------- streams
module "telemetry_stream" {
  source = "./modules/kinesis_stream"

  name                   = local.names.telemetry_stream
  stream_mode            = var.telemetry_stream_capacity.mode
  shard_count            = var.telemetry_stream_capacity.shard_count
  retention_period_hours = var.stream_retention_hours
  kms_key_arn            = module.kms.key_arn
}

module "alert_stream" {
  source = "./modules/kinesis_stream"

  name                   = local.names.alert_stream
  stream_mode            = var.alert_stream_capacity.mode
  shard_count            = var.alert_stream_capacity.shard_count
  retention_period_hours = var.stream_retention_hours
  kms_key_arn            = module.kms.key_arn
}

# ---------------------------------------------------------------- buckets
module "code_bucket" {
  source = "./modules/s3_bucket"

  name        = local.names.code_bucket
  kms_key_arn = module.kms.key_arn
  # Versioned: old zips stay restorable for 90 days after an update.
  noncurrent_version_expiration_days = 90
}

module "processed_bucket" {
  source = "./modules/s3_bucket"

  name                  = local.names.processed_bucket
  kms_key_arn           = module.kms.key_arn
  transition_to_ia_days = var.processed_transition_days
  expiration_days       = var.processed_expiration_days
}

module "dead_letter_bucket" {
  source = "./modules/s3_bucket"

  name            = local.names.dead_letter_bucket
  kms_key_arn     = module.kms.key_arn
  expiration_days = var.dead_letter_expiration_days
}

# ---------------------------------------------------------------- delivery streams
module "fast_laps_delivery" {
  source = "./modules/firehose_s3"

  name                 = local.names.fast_laps_delivery_stream
  bucket_arn           = module.processed_bucket.arn
  prefix               = var.fast_laps_prefix
  error_prefix         = "errors/${var.fast_laps_prefix}"
  file_extension       = ".csv"
  compression_format   = var.firehose_compression
  buffering_size_mb    = var.firehose_buffering.size_mb
  buffering_interval_s = var.firehose_buffering.interval_s
  kms_key_arn          = module.kms.key_arn
  log_retention_days   = var.log_retention_days
}

module "dead_letter_delivery" {
  source = "./modules/firehose_s3"

  name                 = local.names.dead_letter_delivery_stream
  bucket_arn           = module.dead_letter_bucket.arn
  prefix               = var.dead_letter_prefix
  error_prefix         = "errors/${var.dead_letter_prefix}"
  file_extension       = ".jsonl"
  compression_format   = var.firehose_compression
  buffering_size_mb    = var.firehose_buffering.size_mb
  buffering_interval_s = var.firehose_buffering.interval_s
  kms_key_arn          = module.kms.key_arn
  log_retention_days   = var.log_retention_days
}

# ---------------------------------------------------------------- tables (jobs/io.py OUTPUTS keys)
module "window_aggregates_table" {
  source = "./modules/dynamodb_table"

  name          = local.names.aggregates_table
  hash_key      = "vehicle_id"
  range_key     = "window_start"
  ttl_attribute = var.aggregates_ttl_attribute
  kms_key_arn   = module.kms.key_arn
}

module "latest_state_table" {
  source = "./modules/dynamodb_table"

  name          = local.names.latest_state_table
  hash_key      = "vehicle_id"
  ttl_attribute = var.latest_state_ttl_attribute
  kms_key_arn   = module.kms.key_arn
}

# ---------------------------------------------------------------- the Flink application
module "flink_app" {
  source = "./modules/flink_app"

  name                             = local.names.application
  code_bucket_arn                  = module.code_bucket.arn
  code_object_key                  = var.code_object_key
  code_object_version              = var.code_object_version
  property_groups                  = local.application_properties
  telemetry_stream_arn             = module.telemetry_stream.arn
  efo_consumer_name                = var.efo_consumer_name
  alert_stream_arn                 = module.alert_stream.arn
  delivery_stream_arns             = [module.fast_laps_delivery.arn, module.dead_letter_delivery.arn, module.raw_archive_delivery.arn]
  table_arns                       = [module.window_aggregates_table.arn, module.latest_state_table.arn]
  kms_key_arn                      = module.kms.key_arn
  start_application                = var.start_application
  parallelism                      = var.parallelism
  auto_scaling_enabled             = var.auto_scaling_enabled
  checkpoint_interval_ms           = var.checkpoint_interval_ms
  min_pause_between_checkpoints_ms = var.min_pause_between_checkpoints_ms
  metrics_level                    = var.metrics_level
  log_retention_days               = var.log_retention_days
}

# ---------------------------------------------------------------- alerts and alarms
module "alert_fanout" {
  source = "./modules/alert_fanout"

  name             = local.names.alert_topic
  alert_stream_arn = module.alert_stream.arn
  kms_key_arn      = module.kms.key_arn
  email_addresses  = var.alert_email_addresses
  sms_numbers      = var.alert_sms_numbers
}

module "alarms" {
  source = "./modules/alarms"

  name_prefix           = "${local.names.application}-"
  application_name      = module.flink_app.application_name
  telemetry_stream_name = module.telemetry_stream.name
  alert_stream_name     = module.alert_stream.name
  alarm_topic_arn       = coalesce(var.ops_topic_arn, module.alert_fanout.topic_arn)
  source_lag_ms         = var.alarm_thresholds.source_lag_ms
  failed_checkpoints    = var.alarm_thresholds.failed_checkpoints
  alerts_per_5_minutes  = var.alarm_thresholds.alerts_per_5_minutes

  # The job's dead-letter ratio (names and reasons: dashboard.tf).
  job_metrics                     = local.job_metrics
  bad_data_reasons                = local.bad_data_reasons
  dead_letter_ratio_percent       = var.dead_letter_alarm.ratio_percent
  dead_letter_period_s            = var.dead_letter_alarm.period_s
  dead_letter_evaluation_periods  = var.dead_letter_alarm.evaluation_periods
  dead_letter_datapoints_to_alarm = var.dead_letter_alarm.datapoints_to_alarm
  dead_letter_min_records         = var.dead_letter_alarm.min_records
}

# ---------------------------------------------------------------- optional IoT Core ingest
module "iot_ingest" {
  source = "./modules/iot_ingest"
  count  = var.enable_iot ? 1 : 0

  name                  = replace("${local.names.telemetry_stream}_ingest", "/[^A-Za-z0-9_]/", "_")
  topic_filter          = var.iot_topic_filter
  telemetry_stream_name = module.telemetry_stream.name
  telemetry_stream_arn  = module.telemetry_stream.arn
  kms_key_arn           = module.kms.key_arn
}

# ---------------------------------------------------------------- parallelism vs shards
# No constraint: the job assigns event time inside the Kinesis source with one watermark per
# shard, so a subtask reading several shards (parallelism below the shard count, a backlog after
# a restart) holds back to its slowest shard instead of declaring that shard's records late.
# Parallelism is a throughput and cost choice (see README 'Operating it').

output "telemetry_stream_arn" {
  description = "ARN of the telemetry stream (producers, simulator --stream-arn)."
  value       = module.telemetry_stream.arn
}

output "alert_stream_arn" {
  description = "ARN of the alert stream."
  value       = module.alert_stream.arn
}

output "code_bucket" {
  description = "Bucket to upload the application zip to."
  value       = module.code_bucket.id
}

output "code_object_key" {
  description = "Key the application zip must be uploaded under."
  value       = var.code_object_key
}

output "processed_bucket" {
  description = "Bucket of the fast-lap CSV files."
  value       = module.processed_bucket.id
}

output "dead_letter_bucket" {
  description = "Bucket of the dead letters."
  value       = module.dead_letter_bucket.id
}

output "delivery_streams" {
  description = "Firehose delivery stream names."
  value = {
    fast_laps    = module.fast_laps_delivery.name
    dead_letters = module.dead_letter_delivery.name
  }
}

output "tables" {
  description = "DynamoDB table names."
  value = {
    window_aggregates = module.window_aggregates_table.name
    latest_state      = module.latest_state_table.name
  }
}

output "application_name" {
  description = "MSF application name."
  value       = module.flink_app.application_name
}

output "application_arn" {
  description = "MSF application ARN."
  value       = module.flink_app.application_arn
}

output "application_log_group" {
  description = "CloudWatch log group of the application."
  value       = module.flink_app.log_group_name
}

output "application_properties" {
  description = "The environment properties rendered into the application (same shape as jobs/config.py expects)."
  value       = local.application_properties
}

output "alert_topic_arn" {
  description = "SNS topic the alerts fan out to."
  value       = module.alert_fanout.topic_arn
}

output "kms_key_arn" {
  description = "The pipeline's KMS key."
  value       = module.kms.key_arn
}

output "alarm_arns" {
  description = "CloudWatch alarm ARNs."
  value       = module.alarms.alarm_arns
}

output "iot_rule_arn" {
  description = "IoT topic rule ARN (null unless enable_iot)."
  value       = var.enable_iot ? module.iot_ingest[0].rule_arn : null
}

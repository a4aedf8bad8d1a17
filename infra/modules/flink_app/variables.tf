variable "name" {
  description = "Application name."
  type        = string
}

variable "code_bucket_arn" {
  description = "ARN of the bucket holding the application zip."
  type        = string
}

variable "code_object_key" {
  description = "S3 key of the application zip."
  type        = string
}

variable "code_object_version" {
  description = "S3 object version of the zip; null = latest."
  type        = string
  default     = null
}

variable "property_groups" {
  description = "Environment properties, { \"<PropertyGroupId>\" = { \"<key>\" = \"<value>\" } }; one property_group block is rendered per entry."
  type        = map(map(string))
  validation {
    condition = (contains(keys(var.property_groups), "kinesis.analytics.flink.run.options") &&
      can(var.property_groups["kinesis.analytics.flink.run.options"]["python"]) &&
    can(var.property_groups["kinesis.analytics.flink.run.options"]["jarfile"]))
    error_message = "property_groups needs kinesis.analytics.flink.run.options with python and jarfile, or MSF does not start the Python job."
  }
}

variable "telemetry_stream_arn" {
  description = "Source stream ARN (read permissions)."
  type        = string
}

variable "efo_consumer_name" {
  description = "EFO consumer name; null = polling reader, no EFO permissions."
  type        = string
  default     = null
}

variable "alert_stream_arn" {
  description = "Alert stream ARN (PutRecords)."
  type        = string
}

variable "delivery_stream_arns" {
  description = "Firehose delivery stream ARNs (PutRecordBatch)."
  type        = list(string)
}

variable "table_arns" {
  description = "DynamoDB table ARNs (BatchWriteItem)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key of the streams, the code object and the log group."
  type        = string
}

variable "start_application" {
  description = "Start the application on apply."
  type        = bool
  default     = false
}

variable "parallelism" {
  description = "Initial parallelism."
  type        = number
  default     = 2
}

variable "auto_scaling_enabled" {
  description = "MSF auto scaling."
  type        = bool
  default     = true
}

variable "checkpoint_interval_ms" {
  description = "Checkpoint interval (ms)."
  type        = number
  default     = 60000
}

variable "min_pause_between_checkpoints_ms" {
  description = "Minimum pause between checkpoints (ms)."
  type        = number
  default     = 5000
}

variable "metrics_level" {
  description = "APPLICATION, OPERATOR, PARALLELISM or TASK."
  type        = string
  default     = "APPLICATION"
}

variable "log_retention_days" {
  description = "Retention of the application log group."
  type        = number
  default     = 365
}

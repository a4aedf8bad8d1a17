variable "name_prefix" {
  description = "Prefix of the alarm names."
  type        = string
}

variable "application_name" {
  description = "MSF application name (dimension Application of AWS/KinesisAnalytics)."
  type        = string
}

variable "telemetry_stream_name" {
  description = "Source stream name (iterator age)."
  type        = string
}

variable "alert_stream_name" {
  description = "Alert stream name (alert rate)."
  type        = string
}

variable "alarm_topic_arn" {
  description = "SNS topic notified on ALARM and OK."
  type        = string
}

variable "source_lag_ms" {
  description = "Alarm when the oldest unread telemetry record is older than this (ms)."
  type        = number
  default     = 60000
}

variable "failed_checkpoints" {
  description = "Alarm when more checkpoints than this fail within 5 minutes."
  type        = number
  default     = 0
}

variable "alerts_per_5_minutes" {
  description = "Alarm when more alert records than this arrive within 5 minutes."
  type        = number
  default     = 500
}

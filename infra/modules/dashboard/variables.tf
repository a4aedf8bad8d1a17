variable "name" {
  description = "Dashboard name (letters, digits, - and _; up to 255 characters)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.name))
    error_message = "name: 1..255 characters of A-Z, a-z, 0-9, - and _."
  }
}

variable "region" {
  description = "Region of the metrics (the application's and the streams' region)."
  type        = string
}

variable "application_name" {
  description = "MSF application name (dimension Application of AWS/KinesisAnalytics)."
  type        = string
}

variable "telemetry_stream_name" {
  description = "Telemetry (source) stream name: incoming records and iterator age."
  type        = string
}

variable "alert_stream_name" {
  description = "Alert stream name: alert records written, beside the job's alert counter."
  type        = string
}

variable "efo_consumer_name" {
  description = "Enhanced fan-out consumer of the job, or null (polling): with EFO the stream's lag metric is SubscribeToShardEvent.MillisBehindLatest."
  type        = string
  default     = null
}

variable "job_metrics" {
  description = "The job's counters in CloudWatch (udfs/metric_names.py): namespace, metric names and dimension names."
  type = object({
    namespace         = string
    records_read      = string
    records_valid     = string
    records_rejected  = string
    alerts            = string
    reason_dimension  = string
    rule_dimension    = string
    channel_dimension = string
  })
}

variable "dead_letter_reasons" {
  description = "Every dead-letter reason (udfs/metric_names.py DEAD_LETTER_REASONS), one stacked series each."
  type        = list(string)
  validation {
    condition     = length(var.dead_letter_reasons) >= 1
    error_message = "dead_letter_reasons must name at least one reason."
  }
}

variable "dead_letter_ratio" {
  description = "The dead-letter ratio exactly as the alarm watches it (modules/alarms output dead_letter_ratio)."
  type = object({
    id         = string
    label      = string
    expression = string
    namespace  = string
    stat       = string
    period     = number
    metrics = map(object({
      metric_name = string
      dimensions  = map(string)
    }))
  })
}

variable "dead_letter_ratio_percent" {
  description = "The dead-letter alarm's threshold in percent, drawn on the ratio's graph."
  type        = number
}

variable "period_s" {
  description = "Period of the dashboard's graphs in seconds (a multiple of 60)."
  type        = number
  default     = 60
  validation {
    condition     = var.period_s >= 60 && var.period_s % 60 == 0
    error_message = "period_s must be a multiple of 60, at least 60."
  }
}

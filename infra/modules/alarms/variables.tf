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

# ---------------------------------------------------------------- the job's own metrics
variable "job_metrics" {
  description = "The job's counters in CloudWatch (udfs/metric_names.py): namespace, metric names and the dead-letter reason dimension."
  type = object({
    namespace        = string
    records_read     = string
    records_valid    = string
    records_rejected = string
    alerts           = string
    reason_dimension = string
  })
}

variable "bad_data_reasons" {
  description = "Dead-letter reasons that count as bad data in the dead-letter ratio (every reason but heartbeat and parser_mismatch; udfs/metric_names.py BAD_DATA_REASONS)."
  type        = list(string)
  validation {
    # A metric math alarm may reference at most 10 metrics (a hard CloudWatch limit): these plus records read.
    condition     = length(var.bad_data_reasons) >= 1 && length(var.bad_data_reasons) <= 9
    error_message = "bad_data_reasons: 1..9 reasons (with records read, a metric math alarm may reference at most 10 metrics)."
  }
  validation {
    condition     = alltrue([for r in var.bad_data_reasons : can(regex("^[a-z][a-z0-9_]*$", r))])
    error_message = "bad_data_reasons: lower-case reason codes (they become metric ids r_<reason>)."
  }
}

variable "dead_letter_ratio_percent" {
  description = "Alarm when more than this percentage of the records read in a period were dead-lettered as bad data (0 < x <= 100)."
  type        = number
  default     = 1
  validation {
    condition     = var.dead_letter_ratio_percent > 0 && var.dead_letter_ratio_percent <= 100
    error_message = "dead_letter_ratio_percent must be > 0 and <= 100."
  }
}

variable "dead_letter_period_s" {
  description = "Length in seconds of one period of the dead-letter ratio (a multiple of 60)."
  type        = number
  default     = 300
  validation {
    condition     = var.dead_letter_period_s >= 60 && var.dead_letter_period_s % 60 == 0
    error_message = "dead_letter_period_s must be a multiple of 60, at least 60."
  }
}

variable "dead_letter_evaluation_periods" {
  description = "Number of recent periods the dead-letter ratio alarm looks at (evaluation periods x period <= 1 day)."
  type        = number
  default     = 3
  validation {
    condition     = var.dead_letter_evaluation_periods >= 1 && var.dead_letter_evaluation_periods * var.dead_letter_period_s <= 86400
    error_message = "dead_letter_evaluation_periods must be >= 1, and evaluation periods x period at most 86400 s."
  }
}

variable "dead_letter_datapoints_to_alarm" {
  description = "How many of the evaluated periods must be above the ratio to raise the alarm (1..evaluation periods)."
  type        = number
  default     = 2
  validation {
    condition     = var.dead_letter_datapoints_to_alarm >= 1 && var.dead_letter_datapoints_to_alarm <= var.dead_letter_evaluation_periods
    error_message = "dead_letter_datapoints_to_alarm must be 1..dead_letter_evaluation_periods."
  }
}

variable "dead_letter_min_records" {
  description = "A period with fewer records read than this counts as ratio 0: a handful of records (one late reading among three) is no trend."
  type        = number
  default     = 100
  validation {
    condition     = var.dead_letter_min_records >= 1 && floor(var.dead_letter_min_records) == var.dead_letter_min_records
    error_message = "dead_letter_min_records must be a whole number >= 1."
  }
}

# The job's metrics in CloudWatch: the names the job registers, the dashboard, and the inputs of
# the dead-letter ratio alarm (modules/alarms, wired in main.tf).
#
# The job counts under the Flink metric group `kinesisanalytics`, which Managed Flink forwards to
# CloudWatch (namespace AWS/KinesisAnalytics, dimension Application plus one dimension per
# key/value group below it). The names are udfs/metric_names.py's; tests/test_dashboard.py holds
# these locals to that file and renders the dashboard and the alarm's expression.

locals {
  job_metrics = {
    namespace         = "AWS/KinesisAnalytics"
    records_read      = "telemetryRecordsRead"
    records_valid     = "telemetryRecordsValid"
    records_rejected  = "telemetryRecordsRejected"
    alerts            = "telemetryAlerts"
    reason_dimension  = "Reason"
    rule_dimension    = "Rule"
    channel_dimension = "Channel"
  }
  # udfs/metric_names.py DEAD_LETTER_REASONS: the parser's reasons (udfs/telemetry.py REASONS) and duplicate.
  dead_letter_reasons = ["not_json", "not_object", "missing_field", "wrong_type", "out_of_range", "bad_event_time",
  "future_event_time", "late", "heartbeat", "parser_mismatch", "duplicate"]
  # udfs/metric_names.py BAD_DATA_REASONS: all but heartbeat, which only moves the watermark, and
  # parser_mismatch, a bug in the job rather than in the data.
  bad_data_reasons = ["not_json", "not_object", "missing_field", "wrong_type", "out_of_range", "bad_event_time",
  "future_event_time", "late", "duplicate"]
}

variable "dashboard_period_s" {
  description = "Period of the dashboard's graphs in seconds (a multiple of 60; the dead-letter ratio uses the alarm's period)."
  type        = number
  default     = 60
  validation {
    condition     = var.dashboard_period_s >= 60 && var.dashboard_period_s % 60 == 0
    error_message = "dashboard_period_s must be a multiple of 60, at least 60."
  }
}

variable "dead_letter_alarm" {
  description = <<-EOT
    The dead-letter ratio alarm: alarm when more than ratio_percent of the records read in a period
    of period_s seconds were dead-lettered as bad data (every reason but heartbeat), in
    datapoints_to_alarm of the last evaluation_periods periods. Periods with fewer than min_records
    records read count as 0 (three records with one late reading are no trend).
  EOT
  type = object({
    ratio_percent       = optional(number, 1)
    period_s            = optional(number, 300)
    evaluation_periods  = optional(number, 3)
    datapoints_to_alarm = optional(number, 2)
    min_records         = optional(number, 100)
  })
  default = {}
  validation {
    condition     = var.dead_letter_alarm.ratio_percent > 0 && var.dead_letter_alarm.ratio_percent <= 100
    error_message = "dead_letter_alarm.ratio_percent must be > 0 and <= 100."
  }
  validation {
    condition     = var.dead_letter_alarm.period_s >= 60 && var.dead_letter_alarm.period_s % 60 == 0
    error_message = "dead_letter_alarm.period_s must be a multiple of 60, at least 60."
  }
  validation {
    condition = (var.dead_letter_alarm.evaluation_periods >= 1 &&
      var.dead_letter_alarm.evaluation_periods * var.dead_letter_alarm.period_s <= 86400 &&
      var.dead_letter_alarm.datapoints_to_alarm >= 1 &&
    var.dead_letter_alarm.datapoints_to_alarm <= var.dead_letter_alarm.evaluation_periods)
    error_message = "dead_letter_alarm: evaluation_periods >= 1 with evaluation_periods x period_s <= 86400, and datapoints_to_alarm 1..evaluation_periods."
  }
  validation {
    condition     = var.dead_letter_alarm.min_records >= 1 && floor(var.dead_letter_alarm.min_records) == var.dead_letter_alarm.min_records
    error_message = "dead_letter_alarm.min_records must be a whole number >= 1."
  }
}

module "dashboard" {
  source = "./modules/dashboard"

  name                      = local.names.application
  region                    = var.region
  application_name          = module.flink_app.application_name
  telemetry_stream_name     = module.telemetry_stream.name
  alert_stream_name         = module.alert_stream.name
  efo_consumer_name         = var.efo_consumer_name
  job_metrics               = local.job_metrics
  dead_letter_reasons       = local.dead_letter_reasons
  dead_letter_ratio         = module.alarms.dead_letter_ratio
  dead_letter_ratio_percent = module.alarms.dead_letter_ratio_percent
  period_s                  = var.dashboard_period_s
}

# Above APPLICATION, Managed Flink adds Task/Operator/Parallelism dimensions to the job's own
# metrics; the dashboard and the dead-letter alarm name them with Application (+ Reason) only.
check "job_metrics_at_application_level" {
  assert {
    condition     = var.metrics_level == "APPLICATION"
    error_message = "metrics_level is ${var.metrics_level}: Managed Flink then adds Task/Operator/Parallelism dimensions to the job's own metrics, which the dashboard and the dead-letter ratio alarm (Application and Reason only) may no longer match."
  }
}

output "dashboard_url" {
  description = "The pipeline's CloudWatch dashboard."
  value       = module.dashboard.dashboard_url
}

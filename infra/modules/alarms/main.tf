# Operational alarms of the pipeline.
locals {
  app_dimensions = { Application = var.application_name }
  actions        = [var.alarm_topic_arn]
}

# Source lag on the stream side: GetRecords.IteratorAgeMilliseconds is what the polling reader
# leaves behind. (With EFO use SubscribeToShardEvent.MillisBehindLatest instead.)
resource "aws_cloudwatch_metric_alarm" "source_lag" {
  alarm_name          = "${var.name_prefix}source-lag"
  alarm_description   = "The job reads telemetry more than ${var.source_lag_ms} ms behind the stream's tip."
  namespace           = "AWS/Kinesis"
  metric_name         = "GetRecords.IteratorAgeMilliseconds"
  dimensions          = { StreamName = var.telemetry_stream_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = var.source_lag_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "failed_checkpoints" {
  alarm_name          = "${var.name_prefix}failed-checkpoints"
  alarm_description   = "Checkpoints of the job fail (numberOfFailedCheckpoints increases)."
  evaluation_periods  = 1
  threshold           = var.failed_checkpoints
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions

  # The metric is a running count: alarm on its increase.
  metric_query {
    id          = "increase"
    expression  = "DIFF(failed)"
    label       = "failed checkpoints in 5 minutes"
    return_data = true
  }
  metric_query {
    id = "failed"
    metric {
      namespace   = "AWS/KinesisAnalytics"
      metric_name = "numberOfFailedCheckpoints"
      dimensions  = local.app_dimensions
      stat        = "Maximum"
      period      = 300
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "downtime" {
  alarm_name          = "${var.name_prefix}downtime"
  alarm_description   = "The job is failing or restarting (downtime > 0 ms)."
  namespace           = "AWS/KinesisAnalytics"
  metric_name         = "downtime"
  dimensions          = local.app_dimensions
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing" # a stopped app reports nothing: keep the last state
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "restarts" {
  alarm_name          = "${var.name_prefix}restarts"
  alarm_description   = "The job restarted (numRestarts increased)."
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "increase"
    expression  = "DIFF(restarts)"
    label       = "restarts in 5 minutes"
    return_data = true
  }
  metric_query {
    id = "restarts"
    metric {
      namespace   = "AWS/KinesisAnalytics"
      metric_name = "numRestarts"
      dimensions  = local.app_dimensions
      stat        = "Maximum"
      period      = 300
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "alert_rate" {
  alarm_name          = "${var.name_prefix}alert-rate"
  alarm_description   = "More than ${var.alerts_per_5_minutes} alerts in 5 minutes: a fleet-wide problem or a mis-tuned rule."
  namespace           = "AWS/Kinesis"
  metric_name         = "IncomingRecords"
  dimensions          = { StreamName = var.alert_stream_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alerts_per_5_minutes
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# The job's own dead-letter ratio (dead_letter_ratio.tf): bad producers, a changed payload, device
# clocks gone wrong. The metrics are the job's counters (udfs/metric_names.py), which Managed Flink
# forwards to AWS/KinesisAnalytics with the dimensions Application and Reason.
resource "aws_cloudwatch_metric_alarm" "dead_letter_ratio" {
  alarm_name          = "${var.name_prefix}dead-letter-ratio"
  alarm_description   = "More than ${var.dead_letter_ratio_percent}% of the records read were dead-lettered as bad data (any reason but heartbeat) in ${var.dead_letter_datapoints_to_alarm} of ${var.dead_letter_evaluation_periods} periods of ${var.dead_letter_period_s} s. The dead letters in S3 say which reason and which vehicle_id."
  evaluation_periods  = var.dead_letter_evaluation_periods
  datapoints_to_alarm = var.dead_letter_datapoints_to_alarm
  threshold           = var.dead_letter_ratio_percent
  comparison_operator = "GreaterThanThreshold"
  # No data = no records read in the period (the fleet is quiet, or the job is down, which the
  # downtime alarm reports): no records, no bad ones. "missing" would keep an ALARM raised by a
  # burst of bad records for as long as the fleet stays quiet; "breaching" would page for silence.
  treat_missing_data = "notBreaching"
  actions_enabled    = true
  alarm_actions      = local.actions
  ok_actions         = local.actions

  metric_query {
    id          = local.dead_letter_ratio.id
    expression  = local.dead_letter_ratio.expression
    label       = local.dead_letter_ratio.label
    return_data = true
  }
  dynamic "metric_query" {
    for_each = local.dead_letter_ratio.metrics
    content {
      id = metric_query.key
      metric {
        namespace   = local.dead_letter_ratio.namespace
        metric_name = metric_query.value.metric_name
        dimensions  = metric_query.value.dimensions
        stat        = local.dead_letter_ratio.stat
        period      = local.dead_letter_ratio.period
      }
    }
  }
}

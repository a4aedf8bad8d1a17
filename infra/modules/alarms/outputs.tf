output "alarm_arns" {
  description = "ARNs of the alarms by purpose."
  value = {
    source_lag         = aws_cloudwatch_metric_alarm.source_lag.arn
    failed_checkpoints = aws_cloudwatch_metric_alarm.failed_checkpoints.arn
    downtime           = aws_cloudwatch_metric_alarm.downtime.arn
    restarts           = aws_cloudwatch_metric_alarm.restarts.arn
    alert_rate         = aws_cloudwatch_metric_alarm.alert_rate.arn
    dead_letter_ratio  = aws_cloudwatch_metric_alarm.dead_letter_ratio.arn
  }
}

output "dead_letter_ratio" {
  description = "The dead-letter ratio the alarm watches (metric ids, metrics, expression, period): the dashboard charts the same."
  value       = local.dead_letter_ratio
}

output "dead_letter_ratio_percent" {
  description = "The alarm's threshold in percent (the dashboard draws it)."
  value       = var.dead_letter_ratio_percent
}

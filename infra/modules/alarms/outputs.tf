output "alarm_arns" {
  description = "ARNs of the alarms by purpose."
  value = {
    source_lag         = aws_cloudwatch_metric_alarm.source_lag.arn
    failed_checkpoints = aws_cloudwatch_metric_alarm.failed_checkpoints.arn
    downtime           = aws_cloudwatch_metric_alarm.downtime.arn
    restarts           = aws_cloudwatch_metric_alarm.restarts.arn
    alert_rate         = aws_cloudwatch_metric_alarm.alert_rate.arn
  }
}

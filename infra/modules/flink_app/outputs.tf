output "application_name" {
  description = "MSF application name (CloudWatch dimension Application)."
  value       = aws_kinesisanalyticsv2_application.this.name
}

output "application_arn" {
  description = "MSF application ARN."
  value       = aws_kinesisanalyticsv2_application.this.arn
}

output "execution_role_arn" {
  description = "ARN of the execution role."
  value       = module.role.arn
}

output "log_group_name" {
  description = "Application log group (Python errors: logger org.apache.flink.client.python.PythonDriver)."
  value       = aws_cloudwatch_log_group.this.name
}

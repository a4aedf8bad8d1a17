output "name" {
  description = "Delivery stream name."
  value       = aws_kinesis_firehose_delivery_stream.this.name
}

output "arn" {
  description = "Delivery stream ARN."
  value       = aws_kinesis_firehose_delivery_stream.this.arn
}

output "role_arn" {
  description = "ARN of the delivery role."
  value       = module.role.arn
}

output "log_group_arn" {
  description = "ARN of the delivery error log group."
  value       = aws_cloudwatch_log_group.this.arn
}

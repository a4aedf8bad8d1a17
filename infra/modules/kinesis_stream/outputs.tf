output "arn" {
  description = "Stream ARN (the job's stream.arn properties)."
  value       = aws_kinesis_stream.this.arn
}

output "name" {
  description = "Stream name."
  value       = aws_kinesis_stream.this.name
}

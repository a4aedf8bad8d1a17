output "topic_arn" {
  description = "Alert topic ARN."
  value       = aws_sns_topic.this.arn
}

output "pipe_arn" {
  description = "Pipe ARN."
  value       = aws_pipes_pipe.this.arn
}

output "pipe_role_arn" {
  description = "ARN of the pipe's role."
  value       = module.role.arn
}

output "rule_arn" {
  description = "Topic rule ARN."
  value       = aws_iot_topic_rule.this.arn
}

output "role_arn" {
  description = "ARN of the rule's role."
  value       = module.role.arn
}

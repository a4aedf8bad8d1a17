output "records_url" {
  description = "POST one record here (POST a batch to <records_url>/batch)."
  value       = "${aws_api_gateway_stage.this.invoke_url}/records"
}

output "rest_api_id" {
  description = "REST API id."
  value       = aws_api_gateway_rest_api.this.id
}

output "stage_arn" {
  description = "Stage ARN (WAF, IAM execute-api policies)."
  value       = aws_api_gateway_stage.this.arn
}

output "execution_arn" {
  description = "Execution ARN prefix for IAM policies of callers (execute-api:Invoke on <arn>/<stage>/POST/records*)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "api_key_ids" {
  description = "API key id per producer name; the value: aws apigateway get-api-key --api-key <id> --include-value."
  value       = { for name, key in aws_api_gateway_api_key.this : name => key.id }
}

output "usage_plan_id" {
  description = "Usage plan id (throttle and quota per key)."
  value       = aws_api_gateway_usage_plan.this.id
}

output "role_arn" {
  description = "ARN of the role API Gateway writes to Kinesis with."
  value       = module.role.arn
}

output "access_log_group" {
  description = "Log group of the access logs."
  value       = aws_cloudwatch_log_group.access.name
}

output "execution_log_group_arn" {
  description = "ARN of the execution log group (for the KMS key policy)."
  value       = aws_cloudwatch_log_group.execution.arn
}

# ---------------------------------------------------------------- optional HTTPS ingest
# API Gateway REST API -> telemetry stream, no Lambda in between (modules/http_ingest): the front
# door seed 000's producers POSTed to, now validating every body against the record contract the
# job parses with (udfs/telemetry_record.schema.json).
#
#   curl -X POST "$(terraform output -raw http_ingest_url)" -H "x-api-key: $KEY" \
#        -H "Content-Type: application/json" -d @record.json

variable "enable_http_ingest" {
  description = "Create the HTTPS ingest API (API Gateway -> Kinesis PutRecord/PutRecords, bodies validated against the record contract)."
  type        = bool
  default     = false
}

variable "http_ingest" {
  description = <<-EOT
    HTTPS ingest settings: auth (api_key | iam | iam_and_api_key), api_key_names (one key per
    producer), stage_name, key_throttle (per key: requests/s and burst; a batch request carries up
    to 500 records), key_quota (optional {limit, period = DAY | WEEK | MONTH}), stage_throttle (all
    callers together; keep it within the stream's write capacity), cloudwatch_role_arn (optional:
    make it API Gateway's account-wide logging role), web_acl_arn (optional WAFv2 web ACL).
  EOT
  type = object({
    auth                = optional(string, "api_key")
    api_key_names       = optional(list(string), ["default"])
    stage_name          = optional(string, "v1")
    key_throttle        = optional(object({ rate_limit = number, burst_limit = number }), { rate_limit = 50, burst_limit = 100 })
    key_quota           = optional(object({ limit = number, period = string }))
    stage_throttle      = optional(object({ rate_limit = number, burst_limit = number }), { rate_limit = 200, burst_limit = 400 })
    cloudwatch_role_arn = optional(string)
    web_acl_arn         = optional(string)
  })
  default = {}
}

locals {
  http_ingest_name = "${var.name_prefix}telemetry-ingest"
  # Log groups the KMS key must serve (module.kms): the access log group by name; the execution log
  # group's name holds the REST API id, unknown before it exists.
  http_ingest_log_group_arn_patterns = [
    "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/apigateway/${local.http_ingest_name}/access",
    "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:API-Gateway-Execution-Logs_*/${var.http_ingest.stage_name}",
  ]
}

module "http_ingest" {
  source = "./modules/http_ingest"
  count  = var.enable_http_ingest ? 1 : 0

  name                  = local.http_ingest_name
  record_schema_json    = file("${path.module}/../udfs/telemetry_record.schema.json")
  telemetry_stream_name = module.telemetry_stream.name
  telemetry_stream_arn  = module.telemetry_stream.arn
  kms_key_arn           = module.kms.key_arn
  log_retention_days    = var.log_retention_days

  auth                = var.http_ingest.auth
  api_key_names       = var.http_ingest.api_key_names
  stage_name          = var.http_ingest.stage_name
  key_throttle        = var.http_ingest.key_throttle
  key_quota           = var.http_ingest.key_quota
  stage_throttle      = var.http_ingest.stage_throttle
  cloudwatch_role_arn = var.http_ingest.cloudwatch_role_arn
  web_acl_arn         = var.http_ingest.web_acl_arn
}

output "http_ingest_url" {
  description = "HTTPS ingest: POST one record here, a batch {\"records\": [...]} to <url>/batch (null when disabled)."
  value       = one(module.http_ingest[*].records_url)
}

output "http_ingest_api_key_ids" {
  description = "HTTPS ingest API key id per producer; the value: aws apigateway get-api-key --api-key <id> --include-value."
  value       = one(module.http_ingest[*].api_key_ids)
}

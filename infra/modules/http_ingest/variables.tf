variable "name" {
  description = "Name of the REST API, its usage plan and log group (letters, digits, - and _)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name: 1-64 of A-Z a-z 0-9 _ -."
  }
}

variable "record_schema_json" {
  description = "The record contract, JSON Schema draft-04: file(\"udfs/telemetry_record.schema.json\")."
  type        = string
  validation {
    condition     = try(jsondecode(var.record_schema_json)["$schema"], "") == "http://json-schema.org/draft-04/schema#"
    error_message = "record_schema_json must be a draft-04 JSON Schema (the only draft API Gateway models accept)."
  }
}

variable "telemetry_stream_name" {
  description = "Target stream name (the templates' $stageVariables.stream_name)."
  type        = string
}

variable "telemetry_stream_arn" {
  description = "Target stream ARN (the role's only Kinesis resource)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the stream and the log groups."
  type        = string
}

variable "auth" {
  description = "How callers authenticate: api_key (x-api-key header), iam (SigV4, execute-api:Invoke) or iam_and_api_key."
  type        = string
  default     = "api_key"
  validation {
    condition     = contains(["api_key", "iam", "iam_and_api_key"], var.auth)
    error_message = "auth must be api_key, iam or iam_and_api_key."
  }
}

variable "api_key_names" {
  description = "One API key per producer (when auth uses API keys); values: aws apigateway get-api-key --include-value."
  type        = list(string)
  default     = ["default"]
}

variable "stage_name" {
  description = "Stage name: the first path segment of the URL."
  type        = string
  default     = "v1"
}

variable "key_throttle" {
  description = "Per API key (usage plan): steady requests/s and burst. A batch request carries up to 500 records."
  type        = object({ rate_limit = number, burst_limit = number })
  default     = { rate_limit = 50, burst_limit = 100 }
}

variable "key_quota" {
  description = "Optional per-key quota: requests per DAY, WEEK or MONTH (null: none)."
  type        = object({ limit = number, period = string })
  default     = null
  validation {
    condition     = var.key_quota == null || contains(["DAY", "WEEK", "MONTH"], try(var.key_quota.period, ""))
    error_message = "key_quota.period must be DAY, WEEK or MONTH."
  }
}

variable "stage_throttle" {
  description = "All callers together (stage, every method): steady requests/s and burst; keep it within the stream's write capacity."
  type        = object({ rate_limit = number, burst_limit = number })
  default     = { rate_limit = 200, burst_limit = 400 }
}

variable "log_retention_days" {
  description = "Retention of the access and execution log groups."
  type        = number
  default     = 365
}

variable "cloudwatch_role_arn" {
  description = "If set, make this role API Gateway's account-wide CloudWatch role (needed once per account and region for its logs)."
  type        = string
  default     = null
}

variable "web_acl_arn" {
  description = "Optional WAFv2 web ACL (REGIONAL) to associate with the stage."
  type        = string
  default     = null
}

variable "name" {
  description = "Stream name."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.name))
    error_message = "Stream names are 1..128 characters of A-Z a-z 0-9 _ . -."
  }
}

variable "stream_mode" {
  description = "ON_DEMAND or PROVISIONED."
  type        = string
  default     = "PROVISIONED"
  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.stream_mode)
    error_message = "stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "shard_count" {
  description = "Shards when PROVISIONED (ignored when ON_DEMAND)."
  type        = number
  default     = 1
  validation {
    condition     = var.shard_count >= 1
    error_message = "shard_count must be >= 1."
  }
}

variable "retention_period_hours" {
  description = "Retention in hours (24..8760)."
  type        = number
  default     = 24
}

variable "kms_key_arn" {
  description = "KMS key for server-side encryption."
  type        = string
}

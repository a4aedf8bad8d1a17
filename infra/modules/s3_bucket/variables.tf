variable "name" {
  description = "Bucket name (globally unique)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "Bucket names are 3..63 characters of a-z 0-9 . -."
  }
}

variable "kms_key_arn" {
  description = "KMS key for default SSE-KMS encryption."
  type        = string
}

variable "transition_to_ia_days" {
  description = "Days until objects move to STANDARD_IA; null = no transition."
  type        = number
  default     = null
}

variable "expiration_days" {
  description = "Days until current objects expire; null = never."
  type        = number
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days until non-current object versions are deleted."
  type        = number
  default     = 30
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a non-empty bucket."
  type        = bool
  default     = false
}

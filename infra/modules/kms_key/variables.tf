variable "alias" {
  description = "KMS alias name without the alias/ prefix."
  type        = string
}

variable "log_group_arn_patterns" {
  description = "CloudWatch Logs log-group ARN patterns allowed to use the key (kms:EncryptionContext:aws:logs:arn)."
  type        = list(string)
}

variable "allow_cloudwatch_alarms" {
  description = "Let CloudWatch alarms publish to SNS topics encrypted with this key."
  type        = bool
  default     = true
}

variable "deletion_window_in_days" {
  description = "Waiting period before the key is deleted (7..30)."
  type        = number
  default     = 30
  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be 7..30."
  }
}

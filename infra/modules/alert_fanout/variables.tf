variable "name" {
  description = "Name of the SNS topic and the pipe."
  type        = string
}

variable "alert_stream_arn" {
  description = "Alert stream the pipe reads."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the alert stream and the topic."
  type        = string
}

variable "email_addresses" {
  description = "E-mail subscriptions."
  type        = list(string)
  default     = []
}

variable "sms_numbers" {
  description = "SMS subscriptions (E.164)."
  type        = list(string)
  default     = []
}

variable "batch_size" {
  description = "Records per pipe invocation (each record becomes one SNS message)."
  type        = number
  default     = 1
}

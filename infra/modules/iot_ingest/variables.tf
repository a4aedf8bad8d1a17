variable "name" {
  description = "Topic rule name (letters, digits and underscores only)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,128}$", var.name))
    error_message = "IoT rule names allow only A-Z a-z 0-9 and _."
  }
}

variable "topic_filter" {
  description = "MQTT topic filter; level 2 is the vehicle id, e.g. vehicles/+/telemetry."
  type        = string
}

variable "telemetry_stream_name" {
  description = "Target stream name."
  type        = string
}

variable "telemetry_stream_arn" {
  description = "Target stream ARN (the role's only resource)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the stream."
  type        = string
}

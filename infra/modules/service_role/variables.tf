variable "name_prefix" {
  description = "Role name prefix (cut to the 38 characters IAM allows for a prefix)."
  type        = string
}

variable "service" {
  description = "Service principal that assumes the role, e.g. firehose.amazonaws.com."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9.-]+\\.amazonaws\\.com$", var.service))
    error_message = "service must be an AWS service principal such as firehose.amazonaws.com."
  }
}

variable "policy_name" {
  description = "Name of the role's inline policy."
  type        = string
}

variable "policy_json" {
  description = "The inline policy: an aws_iam_policy_document's json, least privilege, no wildcard on data."
  type        = string
}

variable "name" {
  description = "Table name (the job's sink.*.table-name property)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "Table names are 3..255 characters of A-Z a-z 0-9 _ . -."
  }
}

variable "hash_key" {
  description = "Partition key attribute (type S)."
  type        = string
}

variable "range_key" {
  description = "Sort key attribute (type S); null for a hash-only table."
  type        = string
  default     = null
}

variable "ttl_attribute" {
  description = "TTL attribute name (epoch seconds); null disables TTL."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "KMS key for server-side encryption."
  type        = string
}

variable "deletion_protection" {
  description = "Protect the table against deletion."
  type        = bool
  default     = true
}

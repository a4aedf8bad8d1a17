variable "name" {
  description = "Delivery stream name (the job's sink.*.delivery-stream property)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,64}$", var.name))
    error_message = "Delivery stream names are 1..64 characters of A-Z a-z 0-9 _ . -."
  }
}

variable "bucket_arn" {
  description = "Destination bucket ARN."
  type        = string
}

variable "prefix" {
  description = "Key prefix of delivered objects (ends with '/'); a dt=YYYY-MM-dd/hour=HH/ partition is appended."
  type        = string
}

variable "error_prefix" {
  description = "Key prefix of objects Firehose could not deliver as configured (ends with '/')."
  type        = string
  default     = "delivery-errors/"
}

variable "file_extension" {
  description = "Extension of delivered objects before compression suffix, e.g. .csv or .jsonl."
  type        = string
}

variable "compression_format" {
  description = "UNCOMPRESSED, GZIP, ZIP, Snappy or HADOOP_SNAPPY."
  type        = string
  default     = "GZIP"
}

variable "buffering_size_mb" {
  description = "Buffer size in MiB (1..128)."
  type        = number
  default     = 64
}

variable "buffering_interval_s" {
  description = "Buffer interval in seconds (0..900)."
  type        = number
  default     = 300
}

variable "kms_key_arn" {
  description = "KMS key: delivery stream SSE, S3 object encryption and the log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the delivery stream's CloudWatch log group."
  type        = number
  default     = 365
}

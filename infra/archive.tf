# The raw archive: every record the job reads, as received (sql/35_output_raw_archive.sql),
# through Firehose into its own bucket, GZIP (compressed by the job), by delivery hour, kept
# raw_archive_retention.
# Written by the job rather than by a Firehose reading the stream: the job packs many lines into
# each Firehose record (billed per record rounded up to 5 KB), which a stream-sourced Firehose
# cannot; docs/replay-and-simulator.md#raw-archive has the comparison.

variable "raw_archive_prefix" {
  description = "S3 key prefix of raw-archive objects; a dt=YYYY-MM-dd/hour=HH/ partition is appended. Must end with '/'."
  type        = string
  default     = "raw-archive/"
  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$", var.raw_archive_prefix))
    error_message = "raw_archive_prefix must be a non-empty key prefix ending with '/'."
  }
}

variable "raw_archive_retention" {
  description = "Raw archive lifecycle: days until objects move to STANDARD_IA (at least 30) and days until they are deleted."
  type = object({
    transition_days = optional(number, 30)
    expiration_days = optional(number, 400)
  })
  default = {}
  validation {
    condition     = var.raw_archive_retention.transition_days >= 30 && var.raw_archive_retention.expiration_days > var.raw_archive_retention.transition_days
    error_message = "raw_archive_retention: transition_days >= 30 (an S3 minimum) and expiration_days > transition_days."
  }
}

module "raw_archive_bucket" {
  source = "./modules/s3_bucket"

  name                  = local.names.raw_archive_bucket
  kms_key_arn           = module.kms.key_arn
  transition_to_ia_days = var.raw_archive_retention.transition_days
  expiration_days       = var.raw_archive_retention.expiration_days
}

module "raw_archive_delivery" {
  source = "./modules/firehose_s3"

  name         = local.names.raw_archive_delivery_stream
  bucket_arn   = module.raw_archive_bucket.arn
  prefix       = var.raw_archive_prefix
  error_prefix = "errors/${var.raw_archive_prefix}"
  # The job GZIPs each record it sends (jobs/outputs.py gzip=True): Firehose bills the
  # compressed bytes and concatenates them into a valid multi-member .gz object.
  file_extension       = ".jsonl.gz"
  compression_format   = "UNCOMPRESSED"
  buffering_size_mb    = var.firehose_buffering.size_mb
  buffering_interval_s = var.firehose_buffering.interval_s
  kms_key_arn          = module.kms.key_arn
  log_retention_days   = var.log_retention_days
}

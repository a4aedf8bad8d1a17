# Inputs of the root module. Resource names default to the names the local run uses
# (jobs/local_aws.py LocalResources), prefixed by name_prefix when one is given.

variable "region" {
  description = "AWS region of every resource; also rendered as the job's aws.region property."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d$", var.region))
    error_message = "region must look like eu-west-1 (same pattern as jobs/config.py aws.region)."
  }
}

variable "name_prefix" {
  description = "Prefix for every resource name (e.g. \"prod-\"); empty keeps the local names."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[a-z0-9-]{0,20}$", var.name_prefix))
    error_message = "name_prefix: up to 20 characters of a-z, 0-9 and -."
  }
}

variable "tags" {
  description = "Extra tags for every resource (merged into the provider's default_tags)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- names (LocalResources)
variable "names" {
  description = "Resource names without prefix. Defaults equal jobs/local_aws.py LocalResources. Bucket names are global: set name_prefix or override them."
  type = object({
    telemetry_stream            = optional(string, "telemetry")
    alert_stream                = optional(string, "telemetry-alerts")
    code_bucket                 = optional(string, "telemetry-code")
    processed_bucket            = optional(string, "telemetry-processed")
    dead_letter_bucket          = optional(string, "telemetry-dead-letters")
    fast_laps_delivery_stream   = optional(string, "telemetry-fast-laps")
    dead_letter_delivery_stream = optional(string, "telemetry-dead-letters")
    raw_archive_bucket          = optional(string, "telemetry-raw-archive")
    raw_archive_delivery_stream = optional(string, "telemetry-raw-archive")
    aggregates_table            = optional(string, "telemetry-window-aggregates")
    latest_state_table          = optional(string, "telemetry-latest-state")
    application                 = optional(string, "telemetry-job")
    alert_topic                 = optional(string, "telemetry-alerts")
  })
  default = {}
}

variable "fast_laps_prefix" {
  description = "S3 key prefix of fast-lap CSV objects (LocalResources.fast_laps_prefix). Must end with '/'."
  type        = string
  default     = "fast-laps/"
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$", var.fast_laps_prefix))
    error_message = "fast_laps_prefix must be a relative key prefix ending with '/'."
  }
}

variable "dead_letter_prefix" {
  description = "S3 key prefix of dead-letter objects (LocalResources.dead_letter_prefix). Must end with '/'."
  type        = string
  default     = "dead-letters/"
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$", var.dead_letter_prefix))
    error_message = "dead_letter_prefix must be a relative key prefix ending with '/'."
  }
}

# ---------------------------------------------------------------- Kinesis
variable "telemetry_stream_capacity" {
  description = "Telemetry stream capacity: mode ON_DEMAND, or PROVISIONED with shard_count (1 MB/s or 1,000 records/s in per shard)."
  type = object({
    mode        = optional(string, "PROVISIONED")
    shard_count = optional(number, 2)
  })
  default = {}
  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.telemetry_stream_capacity.mode) && var.telemetry_stream_capacity.shard_count >= 1
    error_message = "mode must be ON_DEMAND or PROVISIONED, shard_count >= 1."
  }
}

variable "alert_stream_capacity" {
  description = "Alert stream capacity: mode ON_DEMAND, or PROVISIONED with shard_count."
  type = object({
    mode        = optional(string, "PROVISIONED")
    shard_count = optional(number, 1)
  })
  default = {}
  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.alert_stream_capacity.mode) && var.alert_stream_capacity.shard_count >= 1
    error_message = "mode must be ON_DEMAND or PROVISIONED, shard_count >= 1."
  }
}

variable "stream_retention_hours" {
  description = "Retention of both Kinesis streams in hours (24..8760). Longer than the longest outage you want to replay from."
  type        = number
  default     = 24
  validation {
    condition     = var.stream_retention_hours >= 24 && var.stream_retention_hours <= 8760
    error_message = "stream_retention_hours must be 24..8760."
  }
}

variable "efo_consumer_name" {
  description = "Enhanced fan-out consumer name. null = polling reader (reader.type POLLING); a name = reader.type EFO and the EFO IAM actions, scoped to this consumer."
  type        = string
  default     = null
  validation {
    condition     = var.efo_consumer_name == null || can(regex("^[A-Za-z0-9_.-]{1,64}$", var.efo_consumer_name))
    error_message = "efo_consumer_name must match [A-Za-z0-9_.-]{1,64} (jobs/config.py efo.consumer.name)."
  }
}

variable "source_init_position" {
  description = "Where a job without state starts reading (source.telemetry.init.position)."
  type        = string
  default     = "LATEST"
  validation {
    condition     = contains(["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"], var.source_init_position)
    error_message = "source_init_position must be LATEST, TRIM_HORIZON or AT_TIMESTAMP."
  }
}

# ---------------------------------------------------------------- S3 / Firehose
variable "processed_transition_days" {
  description = "Days after which processed (fast-lap) objects move to STANDARD_IA."
  type        = number
  default     = 30
  validation {
    condition     = var.processed_transition_days >= 30
    error_message = "S3 requires at least 30 days before STANDARD_IA."
  }
}

variable "processed_expiration_days" {
  description = "Days after which processed (fast-lap) objects are deleted."
  type        = number
  default     = 365
  validation {
    condition     = var.processed_expiration_days > var.processed_transition_days
    error_message = "processed_expiration_days must be greater than processed_transition_days."
  }
}

variable "dead_letter_expiration_days" {
  description = "Days after which dead-letter objects are deleted."
  type        = number
  default     = 90
  validation {
    condition     = var.dead_letter_expiration_days >= 1
    error_message = "dead_letter_expiration_days must be >= 1."
  }
}

variable "firehose_buffering" {
  description = "Firehose buffering of both delivery streams: size in MiB (1..128) and interval in seconds (0..900)."
  type = object({
    size_mb    = optional(number, 64)
    interval_s = optional(number, 300)
  })
  default = {}
  validation {
    condition = (var.firehose_buffering.size_mb >= 1 && var.firehose_buffering.size_mb <= 128 &&
    var.firehose_buffering.interval_s >= 0 && var.firehose_buffering.interval_s <= 900)
    error_message = "size_mb must be 1..128 and interval_s 0..900."
  }
}

variable "firehose_compression" {
  description = "Compression of delivered objects: UNCOMPRESSED, GZIP, ZIP, Snappy or HADOOP_SNAPPY."
  type        = string
  default     = "GZIP"
  validation {
    condition     = contains(["UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"], var.firehose_compression)
    error_message = "firehose_compression must be UNCOMPRESSED, GZIP, ZIP, Snappy or HADOOP_SNAPPY."
  }
}

# ---------------------------------------------------------------- DynamoDB
variable "aggregates_ttl_attribute" {
  description = "TTL attribute of the window-aggregates table (epoch seconds); null disables TTL. The job must write it for TTL to expire items."
  type        = string
  default     = null
}

variable "latest_state_ttl_attribute" {
  description = "TTL attribute of the latest-state table; null disables TTL."
  type        = string
  default     = null
}

# ---------------------------------------------------------------- MSF application
variable "code_object_key" {
  description = "S3 key of the application zip in the code bucket (main.py at the root, lib/telemetry-connectors.jar)."
  type        = string
  default     = "telemetry-job.zip"
  validation {
    condition     = endswith(var.code_object_key, ".zip")
    error_message = "code_object_key must name a .zip."
  }
}

variable "code_object_version" {
  description = "S3 object version of the zip (the code bucket is versioned); null uses the latest version."
  type        = string
  default     = null
}

variable "start_application" {
  description = "Whether Terraform starts the application (needs the zip uploaded first)."
  type        = bool
  default     = false
}

variable "parallelism" {
  description = "Initial application parallelism (= KPUs, since parallelism_per_kpu is 1 for the Python UDFs). Keep it at least the telemetry stream's shard count (see the check in main.tf)."
  type        = number
  default     = 2
  validation {
    condition     = var.parallelism >= 1 && var.parallelism <= 64
    error_message = "parallelism must be 1..64."
  }
}

variable "auto_scaling_enabled" {
  description = "Let MSF scale parallelism on CPU."
  type        = bool
  default     = true
}

variable "checkpoint_interval_ms" {
  description = "Checkpoint interval in milliseconds."
  type        = number
  default     = 60000
  validation {
    condition     = var.checkpoint_interval_ms >= 1000
    error_message = "checkpoint_interval_ms must be >= 1000."
  }
}

variable "min_pause_between_checkpoints_ms" {
  description = "Minimum pause between checkpoints in milliseconds."
  type        = number
  default     = 5000
  validation {
    condition     = var.min_pause_between_checkpoints_ms >= 0
    error_message = "min_pause_between_checkpoints_ms must be >= 0."
  }
}

variable "metrics_level" {
  description = "MSF CloudWatch metrics level: APPLICATION, OPERATOR, PARALLELISM or TASK."
  type        = string
  default     = "APPLICATION"
  validation {
    condition     = contains(["APPLICATION", "OPERATOR", "PARALLELISM", "TASK"], var.metrics_level)
    error_message = "metrics_level must be APPLICATION, OPERATOR, PARALLELISM or TASK."
  }
}

variable "log_retention_days" {
  description = "Retention of the application's and Firehose's CloudWatch log groups."
  type        = number
  default     = 365
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts."
  }
}

variable "property_overrides" {
  description = <<-EOT
    Optional job properties merged into the application's environment properties, shaped like
    { "<PropertyGroupId>" = { "<key>" = "<value>" } }, e.g. { "rules" = { "threshold.engine" = "125" } }.
    Groups and keys must exist in jobs/config.py SCHEMA (tests/test_infra.py checks the example).
    Keys Terraform derives from resources (stream ARNs, delivery streams, tables, region,
    reader type, init position) cannot be overridden here.
  EOT
  type        = map(map(string))
  default     = {}
  validation {
    condition = alltrue([for g in keys(var.property_overrides) : contains(
    ["aws", "source.telemetry", "sink.fast-laps", "sink.dead-letters", "sink.alerts", "sink.window-aggregates", "sink.latest-state", "sink.raw-archive", "sinks", "job", "rules"], g)])
    error_message = "property_overrides: unknown property group (see jobs/config.py SCHEMA)."
  }
  validation {
    condition = alltrue(flatten([for g, m in var.property_overrides : [for k in keys(m) : !contains(
      ["aws.region", "aws.endpoint", "aws.credentials.provider", "aws.credentials.access-key-id", "aws.credentials.secret-key",
        "source.telemetry.stream.arn", "source.telemetry.reader.type", "source.telemetry.efo.consumer.name", "source.telemetry.init.position",
        "sink.fast-laps.delivery-stream", "sink.dead-letters.delivery-stream", "sink.alerts.stream.arn",
    "sink.window-aggregates.table-name", "sink.latest-state.table-name", "sink.raw-archive.delivery-stream"], "${g}.${k}")]]))
    error_message = "property_overrides may not set keys Terraform derives from resources, nor local-only aws.* keys."
  }
}

# ---------------------------------------------------------------- alerts and alarms
variable "alert_email_addresses" {
  description = "E-mail addresses subscribed to the alert topic (each must confirm)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for a in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "alert_email_addresses must be e-mail addresses."
  }
}

variable "alert_sms_numbers" {
  description = "Phone numbers (E.164, e.g. +4915112345678) subscribed to the alert topic by SMS."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for n in var.alert_sms_numbers : can(regex("^\\+[1-9][0-9]{6,14}$", n))])
    error_message = "alert_sms_numbers must be E.164 numbers."
  }
}

variable "ops_topic_arn" {
  description = "SNS topic for operational alarms; null sends them to the alert topic."
  type        = string
  default     = null
}

variable "alarm_thresholds" {
  description = "Alarm thresholds: source lag (ms), failed checkpoints per period, alert records per 5 min."
  type = object({
    source_lag_ms        = optional(number, 60000)
    failed_checkpoints   = optional(number, 0)
    alerts_per_5_minutes = optional(number, 500)
  })
  default = {}
}

# ---------------------------------------------------------------- IoT Core
variable "enable_iot" {
  description = "Create an IoT Core topic rule that forwards vehicle telemetry into the telemetry stream."
  type        = bool
  default     = false
}

variable "iot_topic_filter" {
  description = "MQTT topic filter of the IoT rule; the 2nd topic level is the vehicle id (partition key $${topic(2)})."
  type        = string
  default     = "vehicles/+/telemetry"
}

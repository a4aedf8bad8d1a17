# Firehose DirectPut delivery stream -> S3, with its own role scoped to its bucket prefixes.
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  log_group_name = "/aws/kinesisfirehose/${var.name}"
  log_stream     = "DestinationDelivery"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_stream" "this" {
  name           = local.log_stream
  log_group_name = aws_cloudwatch_log_group.this.name
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  name        = var.name
  destination = "extended_s3"

  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = var.kms_key_arn
  }

  extended_s3_configuration {
    role_arn           = module.role.arn
    bucket_arn         = var.bucket_arn
    buffering_size     = var.buffering_size_mb
    buffering_interval = var.buffering_interval_s
    compression_format = var.compression_format
    file_extension     = var.file_extension
    kms_key_arn        = var.kms_key_arn

    # Hive-style partitions on the arrival time. error_output_prefix is required once prefix
    # uses !{...} expressions.
    prefix              = "${var.prefix}dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/"
    error_output_prefix = "${var.error_prefix}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/"

    # No processing_configuration: the job itself emits exactly one newline-terminated line
    # per record (CSV for fast laps, JSON for dead letters), so Firehose's
    # AppendDelimiterToRecord processor is not needed and would double the line breaks.

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.this.name
      log_stream_name = aws_cloudwatch_log_stream.this.name
    }
  }
}

# ---------------------------------------------------------------- delivery role
data "aws_iam_policy_document" "delivery" {
  statement {
    sid       = "BucketLevel"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [var.bucket_arn]
  }
  statement {
    sid     = "WriteOwnPrefixes"
    actions = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]
    resources = [
      "${var.bucket_arn}/${var.prefix}*",
      "${var.bucket_arn}/${var.error_prefix}*",
    ]
  }
  statement {
    sid       = "EncryptObjects"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.region}.amazonaws.com"]
    }
  }
  statement {
    sid       = "DeliveryErrorLogs"
    actions   = ["logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_stream.this.arn]
  }
}

module "role" {
  source      = "../service_role"
  name_prefix = "${var.name}-firehose-"
  service     = "firehose.amazonaws.com"
  policy_name = "deliver-to-s3"
  policy_json = data.aws_iam_policy_document.delivery.json
}

# Addresses before the role moved into ../service_role: no replacement of existing roles.
moved {
  from = aws_iam_role.this
  to   = module.role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.this
  to   = module.role.aws_iam_role_policy.this
}

# One customer-managed key for the pipeline's data at rest: Kinesis streams, S3 buckets,
# Firehose, DynamoDB, SNS and the log groups. A CMK (instead of aws/kinesis etc.) lets IAM
# policies name the exact key ARN.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
}

resource "aws_kms_key" "this" {
  description             = "fleet telemetry pipeline data key (${var.alias})"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days

  # A key policy's Resource is always "*" (it means: this key).
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsEncryptsTheLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = var.log_group_arn_patterns }
        }
      },
      ], var.allow_cloudwatch_alarms ? [
      {
        Sid       = "CloudWatchAlarmsPublishToEncryptedTopics"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ] : [])
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}

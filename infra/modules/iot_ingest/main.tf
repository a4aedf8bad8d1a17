# IoT Core topic rule: vehicle MQTT messages -> telemetry stream, keyed by vehicle
# (as in seed 002, but with ${topic(2)} as the partition key instead of newuuid(), so one
# vehicle's readings stay ordered in one shard).
data "aws_caller_identity" "current" {}

resource "aws_iot_topic_rule" "this" {
  name        = var.name
  description = "Vehicle telemetry to Kinesis ${var.telemetry_stream_name}"
  enabled     = true
  sql         = "SELECT * FROM '${var.topic_filter}'"
  sql_version = "2016-03-23"

  kinesis {
    role_arn      = aws_iam_role.this.arn
    stream_name   = var.telemetry_stream_name
    partition_key = "$${topic(2)}"
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["iot.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = substr("${var.name}-iot-", 0, 38)
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "put" {
  statement {
    sid       = "PutTelemetry"
    actions   = ["kinesis:PutRecord"]
    resources = [var.telemetry_stream_arn]
  }
  statement {
    sid       = "EncryptTelemetry"
    actions   = ["kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "put-telemetry"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.put.json
}

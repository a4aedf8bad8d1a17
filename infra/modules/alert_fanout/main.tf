# Alert fan-out: alert stream -> EventBridge Pipe -> SNS topic -> e-mail / SMS.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

resource "aws_sns_topic" "this" {
  name              = var.name
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.email_addresses)
  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic_subscription" "sms" {
  for_each  = toset(var.sms_numbers)
  topic_arn = aws_sns_topic.this.arn
  protocol  = "sms"
  endpoint  = each.value
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["pipes.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "pipe" {
  name_prefix        = substr("${var.name}-pipe-", 0, 38)
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

# What a Pipes Kinesis source polls with, on the one stream; Publish on the one topic.
data "aws_iam_policy_document" "pipe" {
  statement {
    sid = "ReadAlertStream"
    actions = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards",
    "kinesis:GetShardIterator", "kinesis:GetRecords"]
    resources = [var.alert_stream_arn]
  }
  statement {
    sid       = "PublishToTopic"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]
  }
  statement {
    sid       = "UsePipelineKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "pipe" {
  name   = "alert-fanout"
  role   = aws_iam_role.pipe.id
  policy = data.aws_iam_policy_document.pipe.json
}

resource "aws_pipes_pipe" "this" {
  name     = var.name
  role_arn = aws_iam_role.pipe.arn
  source   = var.alert_stream_arn
  target   = aws_sns_topic.this.arn

  source_parameters {
    kinesis_stream_parameters {
      starting_position      = "LATEST"
      batch_size             = var.batch_size
      maximum_retry_attempts = 10
    }
  }

  target_parameters {
    # The alert is JSON: Pipes parses it, so the message is the alert document itself.
    input_template = "<$.data>"
  }

  depends_on = [aws_iam_role_policy.pipe]
}

# Alert fan-out: alert stream -> EventBridge Pipe -> SNS topic -> e-mail / SMS.
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

resource "aws_pipes_pipe" "this" {
  name     = var.name
  role_arn = module.role.arn
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

  depends_on = [module.role]
}

module "role" {
  source      = "../service_role"
  name_prefix = "${var.name}-pipe-"
  service     = "pipes.amazonaws.com"
  policy_name = "alert-fanout"
  policy_json = data.aws_iam_policy_document.pipe.json
}

# Addresses before the role moved into ../service_role: no replacement of existing roles.
moved {
  from = aws_iam_role.pipe
  to   = module.role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.pipe
  to   = module.role.aws_iam_role_policy.this
}

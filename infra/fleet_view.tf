# The live fleet view (tooling/fleet_view, docs/fleet-view.md): a read-only policy on the job's
# outputs, to attach to whatever role or user runs it, and the targets file it reads:
#
#   terraform output -json fleet_view_config > fleet-view.json
#   python -m tooling.fleet_view --config fleet-view.json
#
# It reads and nothing else: no Put*, no Update*, no Delete*, every resource named.

data "aws_iam_policy_document" "fleet_view" {
  statement {
    sid       = "ReadOutputTables"
    actions   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
    resources = [module.window_aggregates_table.arn, module.latest_state_table.arn]
  }

  statement {
    sid = "ReadAlertStream"
    actions = [
      "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards",
    ]
    resources = [module.alert_stream.arn]
  }

  statement {
    sid       = "ListDeadLetters"
    actions   = ["s3:ListBucket"]
    resources = [module.dead_letter_bucket.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.dead_letter_prefix}*"]
    }
  }

  statement {
    sid       = "ReadDeadLetters"
    actions   = ["s3:GetObject"]
    resources = ["${module.dead_letter_bucket.arn}/${var.dead_letter_prefix}*"]
  }

  # The tables, the alert stream and the bucket are encrypted with the pipeline key.
  statement {
    sid       = "DecryptOutputs"
    actions   = ["kms:Decrypt"]
    resources = [module.kms.key_arn]
  }

  statement {
    sid       = "JobStatus"
    actions   = ["kinesisanalytics:DescribeApplication"]
    resources = [module.flink_app.application_arn]
  }

  # Records/s into the telemetry stream (AWS/Kinesis IncomingRecords). GetMetricData has no
  # resource-level permissions: "*" is the only resource it accepts, and it only reads metrics.
  statement {
    sid       = "ReadIncomingRecords"
    actions   = ["cloudwatch:GetMetricData"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "fleet_view" {
  name        = "${var.name_prefix}fleet-view-read"
  description = "Read-only access of the live fleet view to the telemetry job's outputs."
  policy      = data.aws_iam_policy_document.fleet_view.json
}

output "fleet_view_policy_arn" {
  description = "Read-only policy of the fleet view: attach it to the role or user that runs it."
  value       = aws_iam_policy.fleet_view.arn
}

output "fleet_view_config" {
  description = "The fleet view's targets (python -m tooling.fleet_view --config FILE)."
  value = {
    region             = var.region
    latest_table       = module.latest_state_table.name
    windows_table      = module.window_aggregates_table.name
    alert_stream_arn   = module.alert_stream.arn
    dead_letter_bucket = module.dead_letter_bucket.id
    dead_letter_prefix = var.dead_letter_prefix
    application        = module.flink_app.application_name
    telemetry_stream   = module.telemetry_stream.name
  }
}

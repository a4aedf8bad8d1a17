# Execution role: exactly the calls the job's connectors make, on exactly its resources.
#  - Kinesis source (flink-connector-aws-kinesis-streams 6.x, FLIP-27): DescribeStreamSummary,
#    ListShards, GetShardIterator, GetRecords; with EFO also Register/Describe/Deregister
#    StreamConsumer and SubscribeToShard, scoped to the one consumer.
#  - Kinesis sink: PutRecords only (the async sink batches; it never calls PutRecord).
#  - Firehose sink: PutRecordBatch only.
#  - DynamoDB sink: BatchWriteItem only (puts and deletes of the upsert sink go through
#    BatchWriteItem; the sink does not call DescribeTable).
#  - MSF reads the code zip with the role: GetObject/GetObjectVersion on that one key.
#  - Logging: DescribeLogStreams on the group, PutLogEvents on the stream.
#  - KMS: Decrypt (encrypted source stream, code object), GenerateDataKey (encrypted alert
#    stream) on the pipeline key. Firehose and DynamoDB use grants of their own.
locals {
  efo_consumer_arn = var.efo_consumer_name == null ? null : "${var.telemetry_stream_arn}/consumer/${var.efo_consumer_name}:*"
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "ReadTelemetryStream"
    actions   = ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords"]
    resources = [var.telemetry_stream_arn]
  }

  dynamic "statement" {
    for_each = var.efo_consumer_name == null ? [] : [1]
    content {
      sid       = "RegisterEfoConsumer"
      actions   = ["kinesis:RegisterStreamConsumer", "kinesis:DeregisterStreamConsumer"]
      resources = [var.telemetry_stream_arn, local.efo_consumer_arn]
    }
  }

  dynamic "statement" {
    for_each = var.efo_consumer_name == null ? [] : [1]
    content {
      sid       = "ReadThroughEfoConsumer"
      actions   = ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]
      resources = [local.efo_consumer_arn]
    }
  }

  statement {
    sid       = "WriteAlertStream"
    actions   = ["kinesis:PutRecords"]
    resources = [var.alert_stream_arn]
  }

  statement {
    sid       = "WriteDeliveryStreams"
    actions   = ["firehose:PutRecordBatch"]
    resources = var.delivery_stream_arns
  }

  statement {
    sid       = "WriteTables"
    actions   = ["dynamodb:BatchWriteItem"]
    resources = var.table_arns
  }

  statement {
    sid       = "ReadApplicationCode"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.code_bucket_arn}/${var.code_object_key}"]
  }

  statement {
    sid       = "DescribeLogStreams"
    actions   = ["logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_stream.this.arn]
  }

  statement {
    sid       = "UsePipelineKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

module "role" {
  source      = "../service_role"
  name_prefix = "${var.name}-msf-"
  service     = "kinesisanalytics.amazonaws.com"
  policy_name = "telemetry-job"
  policy_json = data.aws_iam_policy_document.execution.json
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

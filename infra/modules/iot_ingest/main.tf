# IoT Core topic rule: vehicle MQTT messages -> telemetry stream, keyed by vehicle
# (as in seed 002, but with ${topic(2)} as the partition key instead of newuuid(), so one
# vehicle's readings stay ordered in one shard).

resource "aws_iot_topic_rule" "this" {
  name        = var.name
  description = "Vehicle telemetry to Kinesis ${var.telemetry_stream_name}"
  enabled     = true
  sql         = "SELECT * FROM '${var.topic_filter}'"
  sql_version = "2016-03-23"

  kinesis {
    role_arn      = module.role.arn
    stream_name   = var.telemetry_stream_name
    partition_key = "$${topic(2)}"
  }
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

module "role" {
  source      = "../service_role"
  name_prefix = "${var.name}-iot-"
  service     = "iot.amazonaws.com"
  policy_name = "put-telemetry"
  policy_json = data.aws_iam_policy_document.put.json
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

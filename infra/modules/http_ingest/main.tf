# HTTPS ingestion: an API Gateway REST API that writes straight into the telemetry stream (an AWS
# service integration, no Lambda in between), as seed 000's producers POSTed to API Gateway.
#
#   POST /records        one record            -> Kinesis PutRecord  (partition key vehicle_id)
#   POST /records/batch  {"records": [1..500]} -> Kinesis PutRecords (one entry per record)
#
# Bodies are validated against the record contract (udfs/telemetry_record.schema.json, passed in as
# record_schema_json) before anything is written: a malformed record is a 400 for its producer,
# not a dead letter. Callers present an API key (usage plan: throttle, optional quota), sign with
# IAM (SigV4), or both (var.auth).

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.region
  use_iam   = contains(["iam", "iam_and_api_key"], var.auth)
  use_key   = contains(["api_key", "iam_and_api_key"], var.auth)
  # One route per Kinesis action; templates in templates/, rendered by tests/test_http_ingest.py.
  routes = {
    record = {
      resource_id       = aws_api_gateway_resource.records.id
      model             = aws_api_gateway_model.record.name
      action            = "PutRecord"
      request_template  = file("${path.module}/templates/put_record.vm")
      response_template = file("${path.module}/templates/put_record_response.vm")
    }
    batch = {
      resource_id       = aws_api_gateway_resource.batch.id
      model             = aws_api_gateway_model.batch.name
      action            = "PutRecords"
      request_template  = file("${path.module}/templates/put_records.vm")
      response_template = file("${path.module}/templates/put_records_response.vm")
    }
  }
  # Kinesis' own errors after validation (throttling, stream or key unavailable): nothing was written.
  kinesis_errors = {
    "4\\d{2}" = "503"
    "5\\d{2}" = "502"
  }
  integration_responses = merge(
    { for route in keys(local.routes) : "${route}-200" => { route = route, status = "200", pattern = null } },
    { for pair in setproduct(keys(local.routes), keys(local.kinesis_errors)) :
      "${pair[0]}-${local.kinesis_errors[pair[1]]}" => { route = pair[0], status = local.kinesis_errors[pair[1]], pattern = pair[1] }
    },
  )
}

resource "aws_api_gateway_rest_api" "this" {
  name           = var.name
  description    = "Vehicle telemetry into Kinesis ${var.telemetry_stream_name} (records validated against the record contract)"
  api_key_source = "HEADER"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

# ---------------------------------------------------------------- the record contract as models
resource "aws_api_gateway_model" "record" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "TelemetryRecord"
  description  = "One telemetry record: udfs/telemetry_record.schema.json, the parser's own contract."
  content_type = "application/json"
  schema       = var.record_schema_json
}

resource "aws_api_gateway_model" "batch" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "TelemetryRecordBatch"
  description  = "{\"records\": [...]}: 1..500 TelemetryRecord."
  content_type = "application/json"
  schema = templatefile("${path.module}/models/batch.schema.json.tftpl", {
    record_model_url = "https://apigateway.amazonaws.com/restapis/${aws_api_gateway_rest_api.this.id}/models/${aws_api_gateway_model.record.name}"
  })
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id           = aws_api_gateway_rest_api.this.id
  name                  = "body"
  validate_request_body = true
}

# A body the model rejects: 400 with what was wrong (the validator's message).
resource "aws_api_gateway_gateway_response" "bad_body" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = "BAD_REQUEST_BODY"
  status_code   = "400"
  response_templates = {
    "application/json" = "{\"message\": $context.error.messageString, \"errors\": \"$context.error.validationErrorString\"}"
  }
}

# ---------------------------------------------------------------- routes
resource "aws_api_gateway_resource" "records" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "records"
}

resource "aws_api_gateway_resource" "batch" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.records.id
  path_part   = "batch"
}

resource "aws_api_gateway_method" "post" {
  #checkov:skip=CKV_AWS_59:Never open: authorization is NONE only when auth is api_key, and then api_key_required is true (var.auth admits no other case).
  for_each = local.routes

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = each.value.resource_id
  http_method          = "POST"
  authorization        = local.use_iam ? "AWS_IAM" : "NONE"
  api_key_required     = local.use_key
  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models       = { "application/json" = each.value.model }
}

resource "aws_api_gateway_integration" "kinesis" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = each.value.resource_id
  http_method             = aws_api_gateway_method.post[each.key].http_method
  type                    = "AWS"
  integration_http_method = "POST"
  uri                     = "arn:${local.partition}:apigateway:${local.region}:kinesis:action/${each.value.action}"
  credentials             = module.role.arn
  # Only application/json has a template (and a model): any other content type is a 415.
  passthrough_behavior = "NEVER"
  request_parameters = {
    "integration.request.header.Content-Type" = "'application/x-amz-json-1.1'"
  }
  request_templates = { "application/json" = each.value.request_template }
}

resource "aws_api_gateway_method_response" "this" {
  for_each = local.integration_responses

  rest_api_id     = aws_api_gateway_rest_api.this.id
  resource_id     = local.routes[each.value.route].resource_id
  http_method     = aws_api_gateway_method.post[each.value.route].http_method
  status_code     = each.value.status
  response_models = { "application/json" = "Empty" }
}

resource "aws_api_gateway_integration_response" "this" {
  for_each = local.integration_responses

  rest_api_id       = aws_api_gateway_rest_api.this.id
  resource_id       = local.routes[each.value.route].resource_id
  http_method       = aws_api_gateway_method.post[each.value.route].http_method
  status_code       = aws_api_gateway_method_response.this[each.key].status_code
  selection_pattern = each.value.pattern
  response_templates = {
    "application/json" = each.value.status == "200" ? local.routes[each.value.route].response_template : file("${path.module}/templates/kinesis_error.vm")
  }

  depends_on = [aws_api_gateway_integration.kinesis]
}

# ---------------------------------------------------------------- the role API Gateway writes with
data "aws_iam_policy_document" "put" {
  statement {
    sid       = "PutTelemetry"
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords"]
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
  name_prefix = "${var.name}-apigw-"
  service     = "apigateway.amazonaws.com"
  policy_name = "put-telemetry"
  policy_json = data.aws_iam_policy_document.put.json
}

# ---------------------------------------------------------------- deployment, stage, logs
resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # A new deployment whenever what the API does changes.
  triggers = {
    redeployment = sha1(jsonencode([
      var.record_schema_json, aws_api_gateway_model.batch.schema, local.routes, local.integration_responses,
      aws_api_gateway_method.post, aws_api_gateway_integration.kinesis, aws_api_gateway_integration_response.this,
      aws_api_gateway_gateway_response.bad_body,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# The group API Gateway writes execution logs to (ERROR level below), created here so that it is
# encrypted and expires instead of being created on first use without either.
resource "aws_cloudwatch_log_group" "execution" {
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# Access and execution logs need the account's API Gateway CloudWatch role (one per account and
# region); set it here only if nothing else manages it.
resource "aws_api_gateway_account" "this" {
  count               = var.cloudwatch_role_arn == null ? 0 : 1
  cloudwatch_role_arn = var.cloudwatch_role_arn
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:A write-only API: every POST must reach Kinesis, a cached response would drop records.
  #checkov:skip=CKV2_AWS_51:The backend is Kinesis called with an IAM role, not an HTTP endpoint that could check a client certificate.
  #checkov:skip=CKV2_AWS_77:No web ACL is created here (see CKV2_AWS_29); an associated one is the deployer's, with its own rule groups.
  #checkov:skip=CKV2_AWS_29:WAF is the deployer's choice (web_acl_arn associates an existing web ACL); API keys, IAM and throttling guard the API.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true
  # Read by the mapping templates ($stageVariables.stream_name); the role may write to no other stream.
  variables = { stream_name = var.telemetry_stream_name }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      apiKeyId           = "$context.identity.apiKeyId"
      caller             = "$context.identity.caller"
      time               = "$context.requestTime"
      method             = "$context.httpMethod"
      path               = "$context.resourcePath"
      status             = "$context.status"
      length             = "$context.responseLength"
      error              = "$context.error.message"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
    })
  }

  depends_on = [aws_cloudwatch_log_group.execution, aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:A write-only API: caching a POST's response would drop records.
  #checkov:skip=CKV_AWS_308:No cache (see CKV_AWS_225), so there is no cache data to encrypt.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false # would log whole request bodies
    caching_enabled        = false
    throttling_rate_limit  = var.stage_throttle.rate_limit
    throttling_burst_limit = var.stage_throttle.burst_limit
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count        = var.web_acl_arn == null ? 0 : 1
  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.web_acl_arn
}

# ---------------------------------------------------------------- API keys and the usage plan
resource "aws_api_gateway_usage_plan" "this" {
  name        = var.name
  description = "Producers of ${var.name}: per-key throttle and quota."

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.key_throttle.rate_limit
    burst_limit = var.key_throttle.burst_limit
  }

  dynamic "quota_settings" {
    for_each = var.key_quota == null ? [] : [var.key_quota]
    content {
      limit  = quota_settings.value.limit
      period = quota_settings.value.period
    }
  }
}

resource "aws_api_gateway_api_key" "this" {
  for_each = local.use_key ? toset(var.api_key_names) : toset([])

  name        = "${var.name}-${each.key}"
  description = "Producer ${each.key} of ${var.name}."
}

resource "aws_api_gateway_usage_plan_key" "this" {
  for_each = aws_api_gateway_api_key.this

  key_id        = each.value.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this.id
}

# The pipeline's CloudWatch dashboard; its body is built in body.tf.
resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode(local.body)
}

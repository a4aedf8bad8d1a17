terraform {
  # optional() object attributes with defaults and cross-variable validation need >= 1.9.
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # FLINK-2_2 is accepted by aws_kinesisanalyticsv2_application only from 6.40.0 on:
      # v6.39.0 still rejected it (hashicorp/terraform-provider-aws#47203, added through the
      # SDK bump in #47197, documented in #47207). Stay on the 6.x major.
      version = ">= 6.40.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = "fleet-telemetry", ManagedBy = "terraform" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

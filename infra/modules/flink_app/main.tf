# The MSF (Managed Service for Apache Flink) application running the PyFlink job, its log
# group and its execution role.

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/kinesis-analytics/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_stream" "this" {
  name           = "kinesis-analytics-log-stream"
  log_group_name = aws_cloudwatch_log_group.this.name
}

resource "aws_kinesisanalyticsv2_application" "this" {
  name                   = var.name
  runtime_environment    = "FLINK-2_2"
  service_execution_role = module.role.arn
  start_application      = var.start_application

  application_configuration {
    application_code_configuration {
      code_content_type = "ZIPFILE"
      code_content {
        s3_content_location {
          bucket_arn     = var.code_bucket_arn
          file_key       = var.code_object_key
          object_version = var.code_object_version
        }
      }
    }

    application_snapshot_configuration {
      snapshots_enabled = true
    }

    # Rendered from ONE map (root module local.application_properties): the job's groups
    # from jobs/config.py SCHEMA plus MSF's kinesis.analytics.flink.run.options.
    environment_properties {
      dynamic "property_group" {
        for_each = var.property_groups
        content {
          property_group_id = property_group.key
          property_map      = property_group.value
        }
      }
    }

    flink_application_configuration {
      checkpoint_configuration {
        configuration_type            = "CUSTOM"
        checkpointing_enabled         = true
        checkpoint_interval           = var.checkpoint_interval_ms
        min_pause_between_checkpoints = var.min_pause_between_checkpoints_ms
      }

      monitoring_configuration {
        configuration_type = "CUSTOM"
        log_level          = "INFO"
        metrics_level      = var.metrics_level
      }

      parallelism_configuration {
        configuration_type   = "CUSTOM"
        parallelism          = var.parallelism
        parallelism_per_kpu  = 1 # Python UDF: one subtask (one GIL in thread mode) per vCPU (REFERENCE "Packaging for MSF").
        auto_scaling_enabled = var.auto_scaling_enabled
      }
    }

    run_configuration {
      application_restore_configuration {
        application_restore_type = "RESTORE_FROM_LATEST_SNAPSHOT"
      }
      flink_run_configuration {
        allow_non_restored_state = false
      }
    }
  }

  cloudwatch_logging_options {
    log_stream_arn = aws_cloudwatch_log_stream.this.arn
  }

  # The code location is set here once, at creation; later code versions are the deploy
  # command's (python -m tooling.deploy deploy), so a plan never moves the application back to
  # older code. Everything else about the application stays Terraform's.
  lifecycle {
    ignore_changes = [
      application_configuration[0].application_code_configuration[0].code_content,
    ]
  }
}

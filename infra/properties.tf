# The MSF application's environment properties, as ONE map shaped like
# { "<PropertyGroupId>" = { "<key>" = "<value>" } }. Groups and keys are those of
# jobs/config.py SCHEMA (tests/test_infra.py keeps the two in step); every value that names a
# resource comes from that resource, never from a retyped string.
locals {
  # Required keys of SCHEMA, plus the keys Terraform decides from its own inputs.
  job_properties = {
    "aws" = {
      "region" = data.aws_region.current.region
    }
    "source.telemetry" = {
      "stream.arn"        = module.telemetry_stream.arn
      "init.position"     = var.source_init_position
      "reader.type"       = var.efo_consumer_name == null ? "POLLING" : "EFO"
      "efo.consumer.name" = var.efo_consumer_name # null when polling: dropped below
    }
    "sink.fast-laps" = {
      "delivery-stream" = module.fast_laps_delivery.name
    }
    "sink.dead-letters" = {
      "delivery-stream" = module.dead_letter_delivery.name
    }
    "sink.raw-archive" = {
      "delivery-stream" = module.raw_archive_delivery.name
    }
    "sink.alerts" = {
      "stream.arn" = module.alert_stream.arn
    }
    "sink.window-aggregates" = {
      "table-name" = module.window_aggregates_table.name
    }
    "sink.latest-state" = {
      "table-name" = module.latest_state_table.name
    }
  }

  # MSF's own group: the Python entry file and the connector jar inside the zip.
  run_options = {
    "kinesis.analytics.flink.run.options" = {
      "python"  = "main.py"
      "jarfile" = "lib/telemetry-connectors.jar"
    }
  }

  # null values (efo.consumer.name when polling) are dropped, not rendered as "".
  job_properties_set = { for group, props in local.job_properties : group => { for k, v in props : k => v if v != null } }

  # Overrides (e.g. rules.*) go under Terraform's own keys, so those win on a clash (the
  # variable's validation already refuses them).
  application_properties = merge(
    { for group, props in var.property_overrides : group => props if !contains(keys(local.job_properties_set), group) },
    { for group, props in local.job_properties_set : group => merge(lookup(var.property_overrides, group, {}), props) },
    local.run_options,
  )
}

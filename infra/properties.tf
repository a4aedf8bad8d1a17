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

  # Overrides (e.g. rules.*) first, so Terraform's own keys win on a clash (the variable's
  # validation already refuses those keys).
  application_properties = merge(
    {
      for group in distinct(concat(keys(var.property_overrides), keys(local.job_properties))) :
      group => {
        for k, v in merge(lookup(var.property_overrides, group, {}), lookup(local.job_properties, group, {})) :
        k => v if v != null
      }
    },
    local.run_options,
  )
}

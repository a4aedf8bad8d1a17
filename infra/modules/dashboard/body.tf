# The dashboard's body. Locals only, no resources: main.tf renders it with jsonencode, and
# tests/test_dashboard.py renders it with `terraform console` and checks it against CloudWatch's
# dashboard body structure and udfs/metric_names.py.
#
# A metric row is [namespace, metric name, dimension name, value, ..., {options}]; an expression
# row is [{expression, id, label}]. The job's counters (udfs/metric_names.py) are in
# AWS/KinesisAnalytics with the dimension Application plus their own (Reason; Rule, Channel).
locals {
  ns          = var.job_metrics.namespace
  app         = var.application_name
  row_height  = 6
  half        = 12
  third       = 8
  efo         = var.efo_consumer_name == null ? [] : [var.efo_consumer_name]
  ratio       = var.dead_letter_ratio
  ratio_order = sort(keys(local.ratio.metrics))

  header = {
    type = "text", x = 0, y = 0, width = 24, height = 2
    properties = {
      markdown = join("\n", [
        "## Telemetry job `${local.app}`",
        "The job's own counters (`${var.job_metrics.records_read}`, `${var.job_metrics.records_valid}`, `${var.job_metrics.records_rejected}` by `${var.job_metrics.reason_dimension}`, `${var.job_metrics.alerts}` by `${var.job_metrics.rule_dimension}` and `${var.job_metrics.channel_dimension}`) beside the stream's and Managed Flink's. What each one means: docs/deploy-and-operate.md, Metrics and dashboard.",
      ])
    }
  }

  input_rate = {
    type = "metric", x = 0, y = 2, width = local.half, height = local.row_height
    properties = {
      title = "Input: records per ${var.period_s} s"
      view  = "timeSeries", stacked = false, region = var.region, period = var.period_s, stat = "Sum"
      yAxis = { left = { min = 0, showUnits = false } }
      metrics = [
        ["AWS/Kinesis", "IncomingRecords", "StreamName", var.telemetry_stream_name, { label = "written to ${var.telemetry_stream_name} (Kinesis IncomingRecords)" }],
        [local.ns, var.job_metrics.records_read, "Application", local.app, { label = "read by the job (${var.job_metrics.records_read})" }],
        [local.ns, var.job_metrics.records_valid, "Application", local.app, { label = "valid, first copies (${var.job_metrics.records_valid})" }],
      ]
    }
  }

  # How far behind the stream's tip the job reads: the stream's view (per consumer type) and the
  # Flink source's own millisBehindLatest (connector 6.x, per shard; found by search, since its
  # dimensions name the stream and shard).
  source_lag = {
    type = "metric", x = local.half, y = 2, width = local.half, height = local.row_height
    properties = {
      title = "Source lag: iterator age / millisBehindLatest (ms)"
      view  = "timeSeries", stacked = false, region = var.region, period = var.period_s, stat = "Maximum"
      yAxis = { left = { min = 0, showUnits = false } }
      metrics = concat(
        [["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", var.telemetry_stream_name, { label = "GetRecords.IteratorAgeMilliseconds (polling)" }]],
        [for c in local.efo : ["AWS/Kinesis", "SubscribeToShardEvent.MillisBehindLatest", "StreamName", var.telemetry_stream_name, "ConsumerName", c, { label = "SubscribeToShardEvent.MillisBehindLatest (EFO ${c})" }]],
        [[{ id = "behind", label = "millisBehindLatest", expression = "SEARCH('{${local.ns}} MetricName=\"millisBehindLatest\" Application=\"${local.app}\"', 'Maximum', ${var.period_s})" }]],
      )
    }
  }

  # The same expression and metrics as the dead-letter alarm (modules/alarms), with its threshold.
  dead_letter_ratio = {
    type = "metric", x = 0, y = 8, width = local.half, height = local.row_height
    properties = {
      title       = "Dead-letter ratio: bad data in % of records read (per ${local.ratio.period} s)"
      view        = "timeSeries", stacked = false, region = var.region, period = local.ratio.period, stat = local.ratio.stat
      yAxis       = { left = { min = 0, showUnits = false } }
      annotations = { horizontal = [{ label = "alarm above ${var.dead_letter_ratio_percent}%", value = var.dead_letter_ratio_percent }] }
      metrics = concat(
        [[{ id = local.ratio.id, label = local.ratio.label, expression = local.ratio.expression }]],
        [for id in local.ratio_order : concat(
          [local.ratio.namespace, local.ratio.metrics[id].metric_name],
          flatten([for k in sort(keys(local.ratio.metrics[id].dimensions)) : [k, local.ratio.metrics[id].dimensions[k]]]),
          [{ id = id, visible = false, stat = local.ratio.stat, period = local.ratio.period }],
        )],
      )
    }
  }

  dead_letters_by_reason = {
    type = "metric", x = local.half, y = 8, width = local.half, height = local.row_height
    properties = {
      title   = "Dead letters by ${var.job_metrics.reason_dimension} (per ${var.period_s} s, stacked)"
      view    = "timeSeries", stacked = true, region = var.region, period = var.period_s, stat = "Sum"
      yAxis   = { left = { min = 0, showUnits = false } }
      metrics = [for r in var.dead_letter_reasons : [local.ns, var.job_metrics.records_rejected, "Application", local.app, var.job_metrics.reason_dimension, r, { label = r }]]
    }
  }

  # One series per rule and channel that raised alerts (a search: no list of channels to keep in
  # step with the rules), and the alert stream's incoming records: their total.
  alerts = {
    type = "metric", x = 0, y = 14, width = local.half, height = local.row_height
    properties = {
      title = "Alerts by ${var.job_metrics.rule_dimension} and ${var.job_metrics.channel_dimension} (per ${var.period_s} s)"
      view  = "timeSeries", stacked = false, region = var.region, period = var.period_s, stat = "Sum"
      yAxis = { left = { min = 0, showUnits = false } }
      metrics = [
        [{ id = "alerts", label = "", expression = "SEARCH('{${local.ns},Application,${var.job_metrics.channel_dimension},${var.job_metrics.rule_dimension}} MetricName=\"${var.job_metrics.alerts}\" Application=\"${local.app}\"', 'Sum', ${var.period_s})" }],
        ["AWS/Kinesis", "IncomingRecords", "StreamName", var.alert_stream_name, { label = "all alerts (written to ${var.alert_stream_name})" }],
      ]
    }
  }

  checkpoints = {
    type = "metric", x = local.half, y = 14, width = local.half, height = local.row_height
    properties = {
      title = "Checkpoints"
      view  = "timeSeries", stacked = false, region = var.region, period = var.period_s, stat = "Maximum"
      yAxis = { left = { min = 0, label = "ms", showUnits = false }, right = { min = 0, label = "count", showUnits = false } }
      metrics = [
        [local.ns, "lastCheckpointDuration", "Application", local.app, { label = "lastCheckpointDuration (ms)" }],
        [local.ns, "numberOfFailedCheckpoints", "Application", local.app, { label = "numberOfFailedCheckpoints (since start)", yAxis = "right" }],
      ]
    }
  }

  # Flink 2.2 on Managed Flink reports numRestarts (fullRestarts is gone).
  restarts = {
    type = "metric", x = 0, y = 20, width = local.third, height = local.row_height
    properties = {
      title = "Restarts"
      view  = "timeSeries", stacked = false, region = var.region, period = var.period_s, stat = "Maximum"
      yAxis = { left = { min = 0, showUnits = false } }
      metrics = [
        [local.ns, "numRestarts", "Application", local.app, { label = "numRestarts (since the job was submitted)" }],
      ]
    }
  }

  # uptime and downtime are deprecated in Flink 2.2 but still reported (the downtime alarm uses it).
  uptime = {
    type = "metric", x = local.third, y = 20, width = local.third, height = local.row_height
    properties = {
      title = "Uptime / downtime (ms)"
      view  = "timeSeries", stacked = false, region = var.region, period = var.period_s
      yAxis = { left = { min = 0, showUnits = false }, right = { min = 0, showUnits = false } }
      metrics = [
        [local.ns, "uptime", "Application", local.app, { label = "uptime", stat = "Minimum" }],
        [local.ns, "downtime", "Application", local.app, { label = "downtime", stat = "Maximum", yAxis = "right" }],
      ]
    }
  }

  resources = {
    type = "metric", x = 2 * local.third, y = 20, width = local.third, height = local.row_height
    properties = {
      title = "KPUs and CPU"
      view  = "timeSeries", stacked = false, region = var.region, period = var.period_s, stat = "Maximum"
      yAxis = { left = { min = 0, label = "%", showUnits = false }, right = { min = 0, label = "KPUs", showUnits = false } }
      metrics = [
        [local.ns, "cpuUtilization", "Application", local.app, { label = "cpuUtilization (%)" }],
        [local.ns, "KPUs", "Application", local.app, { label = "KPUs", yAxis = "right" }],
      ]
    }
  }

  body = {
    widgets = [
      local.header,
      local.input_rate, local.source_lag,
      local.dead_letter_ratio, local.dead_letters_by_reason,
      local.alerts, local.checkpoints,
      local.restarts, local.uptime, local.resources,
    ]
  }
}

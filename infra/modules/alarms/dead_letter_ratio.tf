# The dead-letter ratio: the share of the records read that were dead-lettered as bad data, in
# percent per period. Locals only, no resources: the alarm (main.tf) watches it, the dashboard
# (modules/dashboard) charts the same definition (output dead_letter_ratio), and
# tests/test_dashboard.py renders this file with `terraform console`.
#
#   ratio = 100 * sum over bad-data reasons of telemetryRecordsRejected{Reason} / telemetryRecordsRead
#
# Every reason but heartbeat counts (a heartbeat only moves the watermark); each reason is FILLed
# with 0 because the job registers some counters on first use (duplicate) and a missing term would
# blank the sum. Periods with fewer than dead_letter_min_records records read count as 0.
locals {
  dead_letter_metrics = merge(
    {
      read = {
        metric_name = var.job_metrics.records_read
        dimensions  = { Application = var.application_name }
      }
    },
    { for r in var.bad_data_reasons : "r_${r}" => {
      metric_name = var.job_metrics.records_rejected
      dimensions  = { Application = var.application_name, (var.job_metrics.reason_dimension) = r }
    } },
  )
  dead_letter_ratio_expression = format("IF(read >= %d, 100 * (%s) / read, 0)", var.dead_letter_min_records,
  join(" + ", [for r in var.bad_data_reasons : "FILL(r_${r}, 0)"]))

  dead_letter_ratio = {
    id         = "ratio"
    label      = "dead letters (bad data) in % of records read"
    expression = local.dead_letter_ratio_expression
    namespace  = var.job_metrics.namespace
    stat       = "Sum"
    period     = var.dead_letter_period_s
    metrics    = local.dead_letter_metrics
  }
}

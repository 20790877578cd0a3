# One dashboard: a row per function, then the API, the database and a row per table, each
# graph drawn with the alarm's threshold as a line. Positions are explicit (24 columns, rows
# of height 6), so the body CloudWatch stores is the body sent and a re-plan shows no change.

locals {
  region = try(data.aws_region.current[0].name, "")

  function_rows = [
    for fn, f in var.functions : [
      {
        title = "${fn}: invocations, errors, throttles"
        metrics = concat(
          [
            ["AWS/Lambda", "Invocations", "FunctionName", fn, { stat = "Sum" }],
            ["AWS/Lambda", "Errors", "FunctionName", fn, { stat = "Sum" }],
            ["AWS/Lambda", "Throttles", "FunctionName", fn, { stat = "Sum" }],
          ],
          f.asynchronous ? [
            ["AWS/Lambda", "DeadLetterErrors", "FunctionName", fn, { stat = "Sum" }],
            ["AWS/Lambda", "DestinationDeliveryFailures", "FunctionName", fn, { stat = "Sum" }],
          ] : [],
        )
        line = null
      },
      {
        title = "${fn}: duration (timeout ${f.timeout} s)"
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", fn, { stat = "p50" }],
          ["AWS/Lambda", "Duration", "FunctionName", fn, { stat = "p99" }],
        ]
        line = { label = "alarm: ${var.thresholds.function_duration * 100} % of timeout", value = var.thresholds.function_duration * f.timeout * 1000 }
      },
    ]
  ]

  api_rows = var.api == null ? [] : [[
    {
      title = "API: requests and errors"
      metrics = [
        ["AWS/ApiGateway", "Count", "ApiId", var.api.id, "Stage", var.api.stage, { stat = "Sum" }],
        ["AWS/ApiGateway", "4xx", "ApiId", var.api.id, "Stage", var.api.stage, { stat = "Sum" }],
        ["AWS/ApiGateway", "5xx", "ApiId", var.api.id, "Stage", var.api.stage, { stat = "Sum" }],
      ]
      line = null
    },
    {
      title = "API: 5xx rate"
      metrics = [
        [{ expression = "errors / requests", label = "5xx / Count", id = "rate" }],
        ["AWS/ApiGateway", "5xx", "ApiId", var.api.id, "Stage", var.api.stage, { stat = "Sum", id = "errors", visible = false }],
        ["AWS/ApiGateway", "Count", "ApiId", var.api.id, "Stage", var.api.stage, { stat = "Sum", id = "requests", visible = false }],
      ]
      line = { label = "alarm", value = var.thresholds.api_5xx_rate }
    },
    {
      title = "API: latency"
      metrics = [
        ["AWS/ApiGateway", "Latency", "ApiId", var.api.id, "Stage", var.api.stage, { stat = "p50" }],
        ["AWS/ApiGateway", "Latency", "ApiId", var.api.id, "Stage", var.api.stage, { stat = "p99" }],
      ]
      line = { label = "alarm (ms)", value = var.thresholds.api_latency_p99_ms }
    },
  ]]

  database_rows = var.database == null ? [] : [[
    for w in [
      { metric = "CPUUtilization", stat = "Average", title = "CPU (%)", value = var.thresholds.database_cpu_percent },
      { metric = "DatabaseConnections", stat = "Maximum", title = "connections (max_connections ${local.database_max_connections})", value = floor(var.thresholds.database_connections * local.database_max_connections) },
      { metric = "FreeStorageSpace", stat = "Minimum", title = "free storage (bytes)", value = var.thresholds.database_free_storage_gib * 1073741824 },
      { metric = "FreeableMemory", stat = "Minimum", title = "freeable memory (bytes)", value = floor(var.thresholds.database_freeable_memory * coalesce(local.database_memory_bytes, 0)) },
      ] : {
      title   = "${var.database.identifier}: ${w.title}"
      metrics = [["AWS/RDS", w.metric, "DBInstanceIdentifier", var.database.identifier, { stat = w.stat }]]
      line    = { label = "alarm", value = w.value }
    }
  ]]

  table_rows = [
    for logical, table in var.tables : [
      {
        title = "${table}: throttle events"
        metrics = [
          ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", table, { stat = "Sum" }],
          ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", table, { stat = "Sum" }],
        ]
        line = null
      },
      {
        title   = "${table}: system errors"
        metrics = [for op in local.table_operations : ["AWS/DynamoDB", "SystemErrors", "TableName", table, "Operation", op, { stat = "Sum" }]]
        line    = null
      },
    ]
  ]

  # Each row shares the 24 columns evenly.
  rows = concat(local.function_rows, local.api_rows, local.database_rows, local.table_rows)
  widgets = flatten([
    for y, row in local.rows : [
      for x, w in row : {
        type   = "metric"
        x      = x * floor(24 / length(row))
        y      = y * 6
        width  = floor(24 / length(row))
        height = 6
        properties = merge(
          {
            title   = w.title
            region  = local.region
            view    = "timeSeries"
            stacked = false
            period  = var.period_seconds
            metrics = w.metrics
          },
          w.line == null ? {} : { annotations = { horizontal = [w.line] } },
        )
      }
    ]
  ])
}

resource "aws_cloudwatch_dashboard" "this" {
  count = local.create ? 1 : 0

  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.widgets })
}

# Every alarm, from one table of specs: each is named after what it watches
# and the service (`<function>-lambda-errors`, `<name>-api-5xx-rate`, `<db identifier>-rds-cpu`,
# `<table>-dynamodb-throttles`: a function and a table of the same name never clash)
# and notifies the topic when it fires and when it is OK again. Missing data is not a breach:
# a function nobody calls, or a table nobody reads, is healthy. Alarms on one metric are
# `metric`; alarms on an expression over several (metric math) are `math`.

locals {
  function_alarms = merge([
    for fn, f in var.functions : merge(
      {
        "${fn}-lambda-errors" = {
          description = "${fn}: more than ${var.thresholds.function_errors} invocation errors in a period."
          namespace   = "AWS/Lambda", metric_name = "Errors", statistic = "Sum", extended_statistic = null
          dimensions  = { FunctionName = fn }, comparison = "GreaterThanThreshold", threshold = var.thresholds.function_errors
        }
        "${fn}-lambda-throttles" = {
          description = "${fn}: more than ${var.thresholds.function_throttles} throttled invocations in a period (concurrency limit reached)."
          namespace   = "AWS/Lambda", metric_name = "Throttles", statistic = "Sum", extended_statistic = null
          dimensions  = { FunctionName = fn }, comparison = "GreaterThanThreshold", threshold = var.thresholds.function_throttles
        }
        "${fn}-lambda-duration-p99" = {
          description = "${fn}: p99 duration above ${var.thresholds.function_duration * 100} % of its ${f.timeout} s timeout."
          namespace   = "AWS/Lambda", metric_name = "Duration", statistic = null, extended_statistic = "p99"
          dimensions  = { FunctionName = fn }, comparison = "GreaterThanThreshold", threshold = var.thresholds.function_duration * f.timeout * 1000
        }
      },
      f.asynchronous ? {
        "${fn}-lambda-dead-letter-errors" = {
          description = "${fn}: more than ${var.thresholds.function_async_failures} asynchronous events could not be sent to its dead-letter queue."
          namespace   = "AWS/Lambda", metric_name = "DeadLetterErrors", statistic = "Sum", extended_statistic = null
          dimensions  = { FunctionName = fn }, comparison = "GreaterThanThreshold", threshold = var.thresholds.function_async_failures
        }
        "${fn}-lambda-destination-delivery-failures" = {
          description = "${fn}: more than ${var.thresholds.function_async_failures} asynchronous results could not be sent to its destination."
          namespace   = "AWS/Lambda", metric_name = "DestinationDeliveryFailures", statistic = "Sum", extended_statistic = null
          dimensions  = { FunctionName = fn }, comparison = "GreaterThanThreshold", threshold = var.thresholds.function_async_failures
        }
      } : {},
    )
  ]...)

  api_dimensions = var.api == null ? {} : { ApiId = var.api.id, Stage = var.api.stage }
  api_alarms = var.api == null ? {} : {
    "${var.name}-api-latency-p99" = {
      description = "API ${var.api.id}: p99 latency above ${var.thresholds.api_latency_p99_ms} ms."
      namespace   = "AWS/ApiGateway", metric_name = "Latency", statistic = null, extended_statistic = "p99"
      dimensions  = local.api_dimensions, comparison = "GreaterThanThreshold", threshold = var.thresholds.api_latency_p99_ms
    }
  }
  api_math_alarms = var.api == null ? {} : {
    "${var.name}-api-5xx-rate" = {
      description = "API ${var.api.id}: more than ${var.thresholds.api_5xx_rate * 100} % of requests answered 5xx in a period."
      threshold   = var.thresholds.api_5xx_rate
      expression  = "errors / requests"
      label       = "5xx / Count"
      metrics = [
        { id = "errors", metric_name = "5xx", namespace = "AWS/ApiGateway", dimensions = local.api_dimensions },
        { id = "requests", metric_name = "Count", namespace = "AWS/ApiGateway", dimensions = local.api_dimensions },
      ]
    }
  }

  database_dimensions = var.database == null ? {} : { DBInstanceIdentifier = var.database.identifier }
  database_alarms = var.database == null ? {} : {
    "${var.database.identifier}-rds-cpu" = {
      description = "${var.database.identifier}: CPU above ${var.thresholds.database_cpu_percent} %."
      namespace   = "AWS/RDS", metric_name = "CPUUtilization", statistic = "Average", extended_statistic = null
      dimensions  = local.database_dimensions, comparison = "GreaterThanThreshold", threshold = var.thresholds.database_cpu_percent
    }
    "${var.database.identifier}-rds-free-storage" = {
      description = "${var.database.identifier}: less than ${var.thresholds.database_free_storage_gib} GiB of storage free."
      namespace   = "AWS/RDS", metric_name = "FreeStorageSpace", statistic = "Minimum", extended_statistic = null
      dimensions  = local.database_dimensions, comparison = "LessThanThreshold", threshold = var.thresholds.database_free_storage_gib * 1073741824
    }
    "${var.database.identifier}-rds-connections" = {
      description = "${var.database.identifier}: more than ${var.thresholds.database_connections * 100} % of its ${local.database_max_connections} connections (max_connections) in use."
      namespace   = "AWS/RDS", metric_name = "DatabaseConnections", statistic = "Maximum", extended_statistic = null
      dimensions  = local.database_dimensions, comparison = "GreaterThanThreshold", threshold = floor(var.thresholds.database_connections * local.database_max_connections)
    }
    "${var.database.identifier}-rds-freeable-memory" = {
      description = "${var.database.identifier}: less than ${var.thresholds.database_freeable_memory * 100} % of its memory (${var.database.instance_class}) freeable."
      namespace   = "AWS/RDS", metric_name = "FreeableMemory", statistic = "Minimum", extended_statistic = null
      dimensions  = local.database_dimensions, comparison = "LessThanThreshold", threshold = floor(var.thresholds.database_freeable_memory * coalesce(local.database_memory_bytes, 0))
    }
  }

  # DynamoDB reports SystemErrors per operation: the alarm adds up the ones the stack's
  # functions call (a metric-math alarm takes at most 10 metrics).
  table_operations = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem"]
  table_math_alarms = merge([
    for logical, table in var.tables : {
      "${table}-dynamodb-throttles" = {
        description = "${table}: more than ${var.thresholds.table_throttles} throttled read or write events in a period."
        threshold   = var.thresholds.table_throttles
        expression  = "reads + writes"
        label       = "Throttle events"
        metrics = [
          { id = "reads", metric_name = "ReadThrottleEvents", namespace = "AWS/DynamoDB", dimensions = { TableName = table } },
          { id = "writes", metric_name = "WriteThrottleEvents", namespace = "AWS/DynamoDB", dimensions = { TableName = table } },
        ]
      }
      "${table}-dynamodb-system-errors" = {
        description = "${table}: more than ${var.thresholds.table_system_errors} requests failed with a DynamoDB system error (HTTP 500) in a period."
        threshold   = var.thresholds.table_system_errors
        expression  = "SUM(METRICS())"
        label       = "SystemErrors"
        metrics = [
          for op in local.table_operations : { id = lower(op), metric_name = "SystemErrors", namespace = "AWS/DynamoDB", dimensions = { TableName = table, Operation = op } }
        ]
      }
    }
  ]...)

  metric_alarms = local.create ? merge(local.function_alarms, local.api_alarms, local.database_alarms) : {}
  math_alarms   = local.create ? merge(local.api_math_alarms, local.table_math_alarms) : {}
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = each.key
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  period              = var.period_seconds
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching"

  alarm_actions = local.actions
  ok_actions    = local.actions
  tags          = var.tags
}

# Sums of every metric (Sum per period), and the expression the alarm compares.
resource "aws_cloudwatch_metric_alarm" "math" {
  for_each = local.math_alarms

  alarm_name          = each.key
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "alarm"
    expression  = each.value.expression
    label       = each.value.label
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.value.id

      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric_name
        dimensions  = metric_query.value.dimensions
        stat        = "Sum"
        period      = var.period_seconds
      }
    }
  }

  alarm_actions = local.actions
  ok_actions    = local.actions
  tags          = var.tags
}

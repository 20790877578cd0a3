# The defaults and every option, applied against a mock AWS provider (no credentials).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:shop-dev-alarms"
    }
  }
}

variables {
  name = "shop-dev"
  functions = {
    shop-dev-items  = { timeout = 10 }
    shop-dev-worker = { timeout = 60, asynchronous = true }
  }
  api      = { id = "a1b2c3" }
  database = { identifier = "shop-dev", instance_class = "db.t4g.micro" }
  tables   = { items = "shop-dev-items" }
}

run "defaults" {
  command = apply

  assert {
    condition = toset(output.cloudwatch_metric_alarm_names) == toset([
      "shop-dev-items-lambda-errors", "shop-dev-items-lambda-throttles", "shop-dev-items-lambda-duration-p99",
      "shop-dev-worker-lambda-errors", "shop-dev-worker-lambda-throttles", "shop-dev-worker-lambda-duration-p99",
      "shop-dev-worker-lambda-dead-letter-errors", "shop-dev-worker-lambda-destination-delivery-failures",
      "shop-dev-api-5xx-rate", "shop-dev-api-latency-p99",
      "shop-dev-rds-cpu", "shop-dev-rds-free-storage", "shop-dev-rds-connections", "shop-dev-rds-freeable-memory",
      "shop-dev-items-dynamodb-throttles", "shop-dev-items-dynamodb-system-errors",
    ])
    error_message = "Every function (async ones with their DLQ and destination alarms), the API, the database and the table get their alarms, and a function and a table of one name do not clash."
  }

  assert {
    condition = alltrue([
      for a in concat(values(aws_cloudwatch_metric_alarm.metric), values(aws_cloudwatch_metric_alarm.math)) :
      a.alarm_actions == toset([aws_sns_topic.this[0].arn]) && a.ok_actions == toset([aws_sns_topic.this[0].arn]) && a.treat_missing_data == "notBreaching" && a.evaluation_periods == 5
    ])
    error_message = "Every alarm notifies the topic when it fires and when it recovers, over 5 periods, missing data not breaching."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["shop-dev-items-lambda-duration-p99"].extended_statistic == "p99"
      && aws_cloudwatch_metric_alarm.metric["shop-dev-items-lambda-duration-p99"].threshold == 8000
      && aws_cloudwatch_metric_alarm.metric["shop-dev-worker-lambda-duration-p99"].threshold == 48000
    )
    error_message = "The duration alarm is the p99 against 80 % of each function's own timeout, in ms."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["shop-dev-items-lambda-errors"].threshold == 0
      && aws_cloudwatch_metric_alarm.metric["shop-dev-items-lambda-errors"].comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.metric["shop-dev-items-lambda-errors"].dimensions == tomap({ FunctionName = "shop-dev-items" })
      && aws_cloudwatch_metric_alarm.metric["shop-dev-items-lambda-errors"].period == 60
    )
    error_message = "A function's errors alarm fires on any error in a minute."
  }

  assert {
    condition = (
      jsonencode([for q in aws_cloudwatch_metric_alarm.math["shop-dev-api-5xx-rate"].metric_query : q.expression if q.return_data == true]) == jsonencode(["errors / requests"])
      && toset(flatten([for q in aws_cloudwatch_metric_alarm.math["shop-dev-api-5xx-rate"].metric_query : [for m in q.metric : m.metric_name]])) == toset(["5xx", "Count"])
      && aws_cloudwatch_metric_alarm.math["shop-dev-api-5xx-rate"].threshold == 0.05
      && aws_cloudwatch_metric_alarm.metric["shop-dev-api-latency-p99"].dimensions == tomap({ ApiId = "a1b2c3", Stage = "$default" })
    )
    error_message = "The API's 5xx rate is metric math 5xx / Count over its $default stage."
  }

  assert {
    condition = (
      output.database_max_connections == 112
      && aws_cloudwatch_metric_alarm.metric["shop-dev-rds-connections"].threshold == 89
      && aws_cloudwatch_metric_alarm.metric["shop-dev-rds-freeable-memory"].threshold == floor(0.1 * 1073741824)
      && aws_cloudwatch_metric_alarm.metric["shop-dev-rds-free-storage"].threshold == 2 * 1073741824
      && aws_cloudwatch_metric_alarm.metric["shop-dev-rds-free-storage"].comparison_operator == "LessThanThreshold"
    )
    error_message = "db.t4g.micro: max_connections LEAST(1 GiB / 9531392, 5000) = 112, alarm at 80 % of it; memory below 10 % of 1 GiB; storage below 2 GiB."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.math["shop-dev-items-dynamodb-system-errors"].metric_query) == 9
    error_message = "A table's system errors add up its operations' metrics (at most 10 per alarm)."
  }

  assert {
    condition     = aws_sns_topic.this[0].name == "shop-dev-alarms" && aws_sns_topic.this[0].kms_master_key_id == aws_kms_key.this[0].arn
    error_message = "One topic, encrypted with the module's own customer managed key."
  }

  assert {
    condition = (
      toset({ for st in jsondecode(aws_kms_key.this[0].policy).Statement : st.Sid => st }["CloudWatchAlarmsPublish"].Action) == toset(["kms:Decrypt", "kms:GenerateDataKey*"])
      && { for st in jsondecode(aws_kms_key.this[0].policy).Statement : st.Sid => st }["CloudWatchAlarmsPublish"].Principal.Service == "cloudwatch.amazonaws.com"
      && { for st in jsondecode(aws_kms_key.this[0].policy).Statement : st.Sid => st }["CloudWatchAlarmsPublish"].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
      && { for st in jsondecode(aws_kms_key.this[0].policy).Statement : st.Sid => st }["CloudWatchAlarmsPublish"].Condition.ArnLike["aws:SourceArn"] == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*"
      && { for st in jsondecode(aws_kms_key.this[0].policy).Statement : st.Sid => st }["AccountAdministers"].Principal.AWS == "arn:aws:iam::123456789012:root"
      && aws_kms_key.this[0].enable_key_rotation
    )
    error_message = "The key policy lets this account's CloudWatch alarms make data keys for the topic, the account administers it, and the key rotates."
  }

  assert {
    condition = (
      { for st in jsondecode(aws_sns_topic_policy.this[0].policy).Statement : st.Sid => st }["CloudWatchAlarmsPublish"].Action == "sns:Publish"
      && { for st in jsondecode(aws_sns_topic_policy.this[0].policy).Statement : st.Sid => st }["CloudWatchAlarmsPublish"].Principal.Service == "cloudwatch.amazonaws.com"
      && { for st in jsondecode(aws_sns_topic_policy.this[0].policy).Statement : st.Sid => st }["CloudWatchAlarmsPublish"].Resource == aws_sns_topic.this[0].arn
      && { for st in jsondecode(aws_sns_topic_policy.this[0].policy).Statement : st.Sid => st }["CloudWatchAlarmsPublish"].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    )
    error_message = "The topic policy lets this account's CloudWatch alarms publish."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.this) == 0
    error_message = "No subscription unless asked for: no address is built in."
  }

  assert {
    condition = (
      aws_cloudwatch_dashboard.this[0].dashboard_name == "shop-dev"
      && length(jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets) == 2 * 2 + 3 + 4 + 2
    )
    error_message = "The dashboard has two graphs per function, three for the API, four for the database and two per table."
  }

  assert {
    condition = alltrue([
      for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.x + w.width <= 24
    ])
    error_message = "Every graph fits the dashboard's 24 columns."
  }
}

run "thresholds_periods_and_subscriptions" {
  command = apply

  variables {
    thresholds = {
      function_duration    = 0.5
      api_5xx_rate         = 0.01
      database_connections = 0.5
    }
    period_seconds      = 300
    evaluation_periods  = 3
    datapoints_to_alarm = 2
    subscriptions = [
      { protocol = "email", endpoint = "oncall@example.com" },
      { protocol = "https", endpoint = "https://hooks.example.com/alarms" },
    ]
    tags = { team = "shop" }
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.metric["shop-dev-items-lambda-duration-p99"].threshold == 5000
      && aws_cloudwatch_metric_alarm.math["shop-dev-api-5xx-rate"].threshold == 0.01
      && aws_cloudwatch_metric_alarm.metric["shop-dev-rds-connections"].threshold == 56
    )
    error_message = "Thresholds come from the input."
  }

  assert {
    condition = alltrue([
      for a in values(aws_cloudwatch_metric_alarm.metric) : a.period == 300 && a.evaluation_periods == 3 && a.datapoints_to_alarm == 2 && a.tags == tomap({ team = "shop" })
    ])
    error_message = "Periods, evaluation periods, M of N and tags reach every alarm."
  }

  assert {
    condition     = toset([for s in aws_sns_topic_subscription.this : "${s.protocol} ${s.endpoint}"]) == toset(["email oncall@example.com", "https https://hooks.example.com/alarms"])
    error_message = "Each subscription in the input subscribes to the topic."
  }
}

run "max_connections_override_for_any_class" {
  command = plan

  variables {
    database  = { identifier = "shop-dev", instance_class = "db.x2g.large", max_connections = 200 }
    functions = {}
    api       = null
    tables    = {}
  }

  assert {
    condition     = output.database_max_connections == 200 && aws_cloudwatch_metric_alarm.metric["shop-dev-rds-connections"].threshold == 160
    error_message = "database.max_connections overrides the class's default (a custom parameter group, or a class outside the table)."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.math) == 0 && length(aws_cloudwatch_metric_alarm.metric) == 4
    error_message = "Without functions, API or tables, only the database's alarms."
  }
}

run "large_classes_cap_at_5000_connections" {
  command = plan

  variables {
    database = { identifier = "shop-dev", instance_class = "db.r6g.8xlarge" }
  }

  assert {
    condition     = output.database_max_connections == 5000
    error_message = "max_connections is LEAST(memory / 9531392, 5000)."
  }
}

run "disabled_creates_nothing" {
  command = apply

  variables {
    enabled       = false
    subscriptions = [{ protocol = "email", endpoint = "oncall@example.com" }]
  }

  assert {
    condition = (
      length(aws_sns_topic.this) == 0 && length(aws_kms_key.this) == 0 && length(aws_cloudwatch_dashboard.this) == 0
      && length(aws_cloudwatch_metric_alarm.metric) + length(aws_cloudwatch_metric_alarm.math) + length(aws_sns_topic_subscription.this) == 0
      && output.sns_topic_arn == null && output.cloudwatch_dashboard_name == null
    )
    error_message = "enabled = false creates no topic, key, subscription, alarm or dashboard."
  }
}

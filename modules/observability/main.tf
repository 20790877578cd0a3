# Alarms, one encrypted SNS topic they notify and one dashboard for one environment: its
# Lambda functions, its HTTP API, its RDS instance and its DynamoDB tables.
#
# The topic is encrypted with a customer managed key of its own. An AWS managed key
# (alias/aws/sns) will not do: its key policy cannot be changed and lets only principals of
# the account use it through SNS, so CloudWatch (a service principal) cannot make the data
# key it needs to publish, and every alarm notification is dropped without an error. The key
# policy here lets CloudWatch use the key for this account's alarms only; the topic policy
# lets those alarms publish.

locals {
  create = var.enabled

  # Nominal memory (GiB) of the RDS instance classes PostgreSQL runs on, for max_connections
  # (RDS's default: LEAST({DBInstanceClassMemory/9531392}, 5000)) and the memory alarm.
  # RDS reserves some memory for itself, so the real default is a little lower: the
  # connections fraction leaves room for that.
  burstable_sizes = { micro = 1, small = 2, medium = 4, large = 8, xlarge = 16, "2xlarge" = 32 }
  general_sizes   = { large = 8, xlarge = 16, "2xlarge" = 32, "4xlarge" = 64, "8xlarge" = 128, "12xlarge" = 192, "16xlarge" = 256, "24xlarge" = 384 }
  instance_memory_gib = merge(
    merge([for family in ["t3", "t4g"] : { for size, gib in local.burstable_sizes : "db.${family}.${size}" => gib }]...),
    merge([for family in ["m5", "m6g", "m6i", "m7g", "m7i"] : { for size, gib in local.general_sizes : "db.${family}.${size}" => gib }]...),
    merge([for family in ["r5", "r6g", "r6i", "r7g", "r7i"] : { for size, gib in local.general_sizes : "db.${family}.${size}" => gib * 2 }]...),
  )

  database_memory_bytes = var.database == null ? null : try(local.instance_memory_gib[var.database.instance_class] * 1073741824, null)
  database_max_connections = var.database == null ? null : coalesce(
    var.database.max_connections,
    local.database_memory_bytes == null ? null : min(floor(local.database_memory_bytes / 9531392), 5000),
    0,
  )

  topic_name = "${var.name}-alarms"
  actions    = local.create ? [aws_sns_topic.this[0].arn] : []
}

data "aws_partition" "current" {
  count = local.create ? 1 : 0
}

data "aws_region" "current" {
  count = local.create ? 1 : 0
}

data "aws_caller_identity" "current" {
  count = local.create ? 1 : 0
}

locals {
  account_id = try(data.aws_caller_identity.current[0].account_id, "")
  # Every alarm of this account and region: what the key and topic policies admit.
  alarm_arns = "arn:${try(data.aws_partition.current[0].partition, "aws")}:cloudwatch:${try(data.aws_region.current[0].name, "")}:${local.account_id}:alarm:*"
}

locals {
  account_root = "arn:${try(data.aws_partition.current[0].partition, "aws")}:iam::${local.account_id}:root"
  # Only this account's alarms, in this region, act as CloudWatch here (confused deputy).
  from_this_accounts_alarms = {
    StringEquals = { "aws:SourceAccount" = local.account_id }
    ArnLike      = { "aws:SourceArn" = local.alarm_arns }
  }

  # Policies are rendered here rather than by aws_iam_policy_document, so a caller's
  # `terraform test` with a mock provider gets valid JSON without mocking a data source.
  key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # The account administers the key through IAM, as with any key (without this
        # statement nobody could change or delete it).
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = local.from_this_accounts_alarms
      },
    ]
  })
}

resource "aws_kms_key" "this" {
  count = local.create ? 1 : 0

  description             = "Encrypts the SNS topic ${local.topic_name} (CloudWatch alarm notifications)"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy                  = local.key_policy
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count = local.create ? 1 : 0

  name          = "alias/${local.topic_name}"
  target_key_id = aws_kms_key.this[0].key_id
}

resource "aws_sns_topic" "this" {
  count = local.create ? 1 : 0

  name              = local.topic_name
  kms_master_key_id = aws_kms_key.this[0].arn
  tags              = var.tags

  lifecycle {
    precondition {
      condition     = var.evaluation_periods * var.period_seconds <= 86400
      error_message = "evaluation_periods times period_seconds must be at most 86400 seconds (one day, CloudWatch's limit)."
    }

    precondition {
      condition     = var.datapoints_to_alarm == null || coalesce(var.datapoints_to_alarm, 0) <= var.evaluation_periods
      error_message = "datapoints_to_alarm must be at most evaluation_periods."
    }

    precondition {
      condition     = var.database == null || coalesce(local.database_max_connections, 0) > 0
      error_message = "database.instance_class \"${try(var.database.instance_class, "")}\" is not in the module's table of instance classes (db.t3, db.t4g, db.m5-m7, db.r5-r7): set database.max_connections."
    }
  }
}

locals {
  topic_policy = local.create ? jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountManages"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"]
        Resource  = aws_sns_topic.this[0].arn
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.this[0].arn
        Condition = local.from_this_accounts_alarms
      },
    ]
  }) : null
}

resource "aws_sns_topic_policy" "this" {
  count = local.create ? 1 : 0

  arn    = aws_sns_topic.this[0].arn
  policy = local.topic_policy
}

# An email subscription stays "pending confirmation" until its recipient follows the link in
# the mail AWS sends; an https endpoint must answer the SubscriptionConfirmation message.
resource "aws_sns_topic_subscription" "this" {
  for_each = local.create ? { for s in var.subscriptions : "${s.protocol}:${s.endpoint}" => s } : {}

  topic_arn = aws_sns_topic.this[0].arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}

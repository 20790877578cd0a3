locals {
  engine_major              = split(".", var.engine_version)[0]
  final_snapshot_identifier = coalesce(var.final_snapshot_identifier, "${var.identifier}-final")
  port                      = 5432

  # RDS refuses an autoscaling ceiling less than 10% above the allocated storage.
  min_max_allocated_storage = ceil(var.allocated_storage * 1.1)

  # Who opens connections to the instance itself: the proxy when there is one.
  instance_client_security_group_ids = var.proxy.enabled ? aws_security_group.proxy[*].id : var.allowed_security_group_ids
}

resource "aws_db_subnet_group" "this" {
  name        = var.identifier
  description = "Subnets of the PostgreSQL instance ${var.identifier}"
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.identifier}-postgres"
  description = "PostgreSQL instance ${var.identifier}: port ${local.port} from allowed security groups only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.identifier}-postgres" })
  # No egress rules: the instance only answers connections, which security groups allow back
  # statefully; Terraform removes the allow-all egress rule AWS adds to a new group.
}

# count rather than for_each: the IDs are often created in the same apply (unknown at plan),
# while the length of the list is known. With a proxy, only the proxy reaches the instance.
resource "aws_vpc_security_group_ingress_rule" "this" {
  count = length(local.instance_client_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = var.proxy.enabled ? "PostgreSQL from the RDS Proxy" : "PostgreSQL from an allowed security group"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = local.instance_client_security_group_ids[count.index]
  tags                         = var.tags
}

resource "aws_db_parameter_group" "this" {
  # A prefix, so a major upgrade can create the new family's group before the old one goes.
  name_prefix = "${var.identifier}-postgres${local.engine_major}-"
  family      = "postgres${local.engine_major}"
  description = "PostgreSQL ${local.engine_major} parameters of ${var.identifier} (TLS enforced)"

  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "immediate"
  }

  dynamic "parameter" {
    for_each = var.parameters
    content {
      name         = parameter.value.name
      value        = parameter.value.value
      apply_method = parameter.value.apply_method
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Created before the instance so RDS writes into groups with a retention and key, instead of
# creating never-expiring ones that Terraform would not know about (or delete).
resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(var.enabled_cloudwatch_logs_exports)

  name              = "/aws/rds/instance/${var.identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:Multi-AZ doubles the instance cost and development environments do not need it; it is the multi_az input, to be turned on for production.
  #checkov:skip=CKV_AWS_118:Enhanced Monitoring needs an extra IAM role and CloudWatch cost; it is the monitoring_interval input (off by default) while Performance Insights and the RDS CloudWatch metrics are on.
  identifier     = var.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  port           = local.port

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name                       = var.db_name
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = var.multi_az

  iam_database_authentication_enabled = var.iam_database_authentication_enabled

  backup_retention_period   = var.backup_retention_period
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : local.final_snapshot_identifier

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = var.allow_major_version_upgrade
  apply_immediately           = var.apply_immediately

  enabled_cloudwatch_logs_exports       = var.enabled_cloudwatch_logs_exports
  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? var.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? var.performance_insights_retention_period : null
  monitoring_interval                   = var.monitoring_interval
  monitoring_role_arn                   = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.this]

  lifecycle {
    precondition {
      condition     = var.max_allocated_storage == 0 || var.max_allocated_storage >= local.min_max_allocated_storage
      error_message = "max_allocated_storage must be 0 (autoscaling off) or at least 10% above allocated_storage (${local.min_max_allocated_storage} GiB or more for ${var.allocated_storage} GiB)."
    }
  }
}

# The partition, region and account, for the roles of Enhanced Monitoring and the proxy.
data "aws_partition" "current" {
  count = var.monitoring_interval > 0 || var.proxy.enabled ? 1 : 0
}

data "aws_region" "current" {
  count = var.monitoring_interval > 0 || var.proxy.enabled ? 1 : 0
}

data "aws_caller_identity" "current" {
  count = var.monitoring_interval > 0 || var.proxy.enabled ? 1 : 0
}

# Enhanced Monitoring (optional): the role RDS assumes to publish OS metrics. Inline and scoped
# to the RDSOSMetrics log group of this account and region, instead of the AWS managed policy.
data "aws_iam_policy_document" "monitoring_assume" {
  count = var.monitoring_interval > 0 ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current[0].account_id]
    }
  }
}

data "aws_iam_policy_document" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  statement {
    sid       = "ManageOsMetricsLogGroup"
    actions   = ["logs:CreateLogGroup", "logs:PutRetentionPolicy"]
    resources = ["arn:${data.aws_partition.current[0].partition}:logs:${data.aws_region.current[0].name}:${data.aws_caller_identity.current[0].account_id}:log-group:RDSOSMetrics"]
  }
  statement {
    sid       = "WriteOsMetrics"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents"]
    resources = ["arn:${data.aws_partition.current[0].partition}:logs:${data.aws_region.current[0].name}:${data.aws_caller_identity.current[0].account_id}:log-group:RDSOSMetrics:log-stream:*"]
  }
}

resource "aws_iam_role" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name_prefix        = "${substr(var.identifier, 0, 26)}-monitoring-"
  description        = "Enhanced Monitoring of the PostgreSQL instance ${var.identifier}"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name   = "enhanced-monitoring"
  role   = aws_iam_role.monitoring[0].id
  policy = data.aws_iam_policy_document.monitoring[0].json
}

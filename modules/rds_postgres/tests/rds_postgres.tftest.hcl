# Plan/apply against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  mock_resource "aws_db_instance" {
    defaults = {
      arn         = "arn:aws:rds:eu-west-1:123456789012:db:orders-db"
      resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
      address     = "orders-db.abcdefghijkl.eu-west-1.rds.amazonaws.com"
      endpoint    = "orders-db.abcdefghijkl.eu-west-1.rds.amazonaws.com:5432"
      master_user_secret = [{
        kms_key_id    = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
        secret_arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-AbCdEf"
        secret_status = "active"
      }]
    }
  }
  mock_resource "aws_security_group" {
    defaults = {
      id  = "sg-0aaaaaaaaaaaaaaaa"
      arn = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0aaaaaaaaaaaaaaaa"
    }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-app-login-AbCdEf"
    }
  }
  mock_resource "aws_db_proxy" {
    defaults = {
      arn      = "arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0"
      endpoint = "orders-db.proxy-abcdefghijkl.eu-west-1.rds.amazonaws.com"
    }
  }
  # RDS names a proxy's default target group "default"; the mock's random name may not start
  # with a letter, which aws_db_proxy_target refuses.
  mock_resource "aws_db_proxy_default_target_group" {
    defaults = {
      name = "default"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/orders-db-monitoring-20240101"
    }
  }
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
  # The real data source renders the statements; the mock only needs to hand IAM valid JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  identifier                 = "orders-db"
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
  allowed_security_group_ids = ["sg-0bbbbbbbbbbbbbbb1", "sg-0bbbbbbbbbbbbbbb2"]
}

run "defaults" {
  command = apply

  assert {
    condition     = aws_db_instance.this.engine == "postgres" && aws_db_instance.this.engine_version == "16"
    error_message = "The engine must be PostgreSQL 16 by default."
  }
  assert {
    condition     = aws_db_instance.this.instance_class == "db.t4g.micro" && aws_db_instance.this.storage_type == "gp3"
    error_message = "The instance must default to db.t4g.micro on gp3 storage."
  }
  assert {
    condition     = aws_db_instance.this.allocated_storage == 20 && aws_db_instance.this.max_allocated_storage == 100
    error_message = "Storage must start at 20 GiB and autoscale up to 100 GiB by default."
  }
  assert {
    condition     = aws_db_instance.this.storage_encrypted
    error_message = "Storage must always be encrypted."
  }
  assert {
    condition     = aws_db_instance.this.manage_master_user_password && aws_db_instance.this.password == null
    error_message = "The master password must be managed by RDS and never set by the module."
  }
  assert {
    condition     = aws_db_instance.this.username == "app_admin" && aws_db_instance.this.db_name == "app"
    error_message = "The master user and database names must default to app_admin and app."
  }
  assert {
    condition     = !aws_db_instance.this.publicly_accessible
    error_message = "The instance must never be publicly accessible."
  }
  assert {
    condition     = aws_db_instance.this.deletion_protection && !aws_db_instance.this.skip_final_snapshot && aws_db_instance.this.final_snapshot_identifier == "orders-db-final"
    error_message = "Deletion protection and a final snapshot must be on by default."
  }
  assert {
    condition     = aws_db_instance.this.backup_retention_period == 7 && aws_db_instance.this.copy_tags_to_snapshot
    error_message = "Backups must be kept 7 days, with tags copied to snapshots."
  }
  assert {
    condition     = aws_db_instance.this.auto_minor_version_upgrade && !aws_db_instance.this.allow_major_version_upgrade
    error_message = "Minor upgrades must be automatic and major ones opt-in."
  }
  assert {
    condition     = aws_db_instance.this.iam_database_authentication_enabled && !aws_db_instance.this.multi_az
    error_message = "IAM database authentication must be on and Multi-AZ off by default."
  }
  assert {
    condition     = aws_db_instance.this.enabled_cloudwatch_logs_exports == toset(["postgresql", "upgrade"])
    error_message = "The postgresql and upgrade logs must be exported by default."
  }
  assert {
    condition     = aws_db_instance.this.performance_insights_enabled && aws_db_instance.this.performance_insights_retention_period == 7
    error_message = "Performance Insights must be on with the free 7-day retention."
  }
  assert {
    condition     = aws_db_instance.this.monitoring_interval == 0 && length(aws_iam_role.monitoring) == 0
    error_message = "Enhanced Monitoring and its role must be off by default."
  }
  assert {
    condition     = aws_db_instance.this.port == 5432 && aws_db_instance.this.parameter_group_name == aws_db_parameter_group.this.name
    error_message = "The instance must listen on 5432 and use the module's parameter group."
  }
  assert {
    condition     = aws_db_parameter_group.this.family == "postgres16"
    error_message = "The parameter group family must follow the engine's major version."
  }
  assert {
    condition     = contains([for p in aws_db_parameter_group.this.parameter : "${p.name}=${p.value}"], "rds.force_ssl=1")
    error_message = "The parameter group must force TLS (rds.force_ssl = 1)."
  }
  assert {
    condition     = aws_db_subnet_group.this.subnet_ids == toset(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"])
    error_message = "The subnet group must hold the given subnets."
  }
  assert {
    condition     = aws_db_instance.this.vpc_security_group_ids == toset([aws_security_group.this.id])
    error_message = "The instance must be in the module's security group only."
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.this) == 2
    error_message = "There must be one ingress rule per allowed security group."
  }
  assert {
    condition = alltrue([
      for r in aws_vpc_security_group_ingress_rule.this :
      r.from_port == 5432 && r.to_port == 5432 && r.ip_protocol == "tcp" && r.cidr_ipv4 == null && r.cidr_ipv6 == null
    ])
    error_message = "Ingress must be TCP 5432 from security groups only, never from CIDR ranges."
  }
  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.this : r.referenced_security_group_id] == ["sg-0bbbbbbbbbbbbbbb1", "sg-0bbbbbbbbbbbbbbb2"]
    error_message = "Ingress must reference exactly the allowed security groups."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this["postgresql"].name == "/aws/rds/instance/orders-db/postgresql" && aws_cloudwatch_log_group.this["upgrade"].retention_in_days == 365
    error_message = "Each exported log must have its log group, kept 365 days by default."
  }
  assert {
    condition     = output.db_instance_master_user_secret_arn == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-AbCdEf"
    error_message = "The secret ARN output must come from the RDS-managed master user secret."
  }
  assert {
    condition     = output.db_security_group_id == "sg-0aaaaaaaaaaaaaaaa" && output.db_instance_port == 5432 && output.db_instance_name == "app"
    error_message = "The security group, port and database name outputs must come from the resources."
  }
  assert {
    condition     = output.db_instance_address == "orders-db.abcdefghijkl.eu-west-1.rds.amazonaws.com" && output.db_enhanced_monitoring_iam_role_arn == null
    error_message = "The address output must come from the instance, and no monitoring role must exist."
  }
  assert {
    condition     = length(aws_db_proxy.this) == 0 && length(aws_security_group.proxy) == 0 && length(aws_iam_role.proxy) == 0
    error_message = "No proxy, proxy security group or proxy role must exist by default."
  }
  assert {
    condition     = output.db_connect_address == output.db_instance_address && output.db_client_security_group_id == aws_security_group.this.id && output.db_proxy_endpoint == null
    error_message = "Without a proxy, clients must connect to the instance and name its security group."
  }
  assert {
    condition     = startswith(aws_secretsmanager_secret.app_user.name_prefix, "orders-db-app-login-") && aws_secretsmanager_secret.app_user.kms_key_id == null
    error_message = "The application role's secret must be named after the instance and role, with the AWS managed key by default."
  }
  assert {
    condition     = output.db_app_username == "app" && output.db_app_user_secret_arn == aws_secretsmanager_secret.app_user.arn && output.db_app_user_secret_arn != output.db_instance_master_user_secret_arn
    error_message = "The application role must default to app, with its own secret, never the master's."
  }
}

run "proxy" {
  command = apply

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    proxy = {
      enabled                 = true
      idle_client_timeout     = 900
      max_connections_percent = 75
    }
  }

  override_resource {
    target = aws_security_group.proxy
    values = {
      id = "sg-0ccccccccccccccc1"
    }
  }

  assert {
    condition     = aws_db_proxy.this[0].engine_family == "POSTGRESQL" && aws_db_proxy.this[0].require_tls && aws_db_proxy.this[0].idle_client_timeout == 900
    error_message = "The proxy must be PostgreSQL, require TLS and take the idle timeout."
  }
  assert {
    condition = toset([for a in aws_db_proxy.this[0].auth : a.secret_arn]) == toset([
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-AbCdEf",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-app-login-AbCdEf",
    ]) && alltrue([for a in aws_db_proxy.this[0].auth : a.auth_scheme == "SECRETS" && a.iam_auth == "DISABLED" && a.client_password_auth_type == "POSTGRES_SCRAM_SHA_256"])
    error_message = "The proxy must log in with the master and application secrets, SCRAM from clients."
  }
  assert {
    condition     = aws_db_proxy.this[0].vpc_subnet_ids == toset(var.subnet_ids) && aws_db_proxy.this[0].vpc_security_group_ids == toset(["sg-0ccccccccccccccc1"])
    error_message = "The proxy must sit in the instance's subnets, in its own security group."
  }
  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.proxy : r.referenced_security_group_id] == ["sg-0bbbbbbbbbbbbbbb1", "sg-0bbbbbbbbbbbbbbb2"] && alltrue([for r in aws_vpc_security_group_ingress_rule.proxy : r.from_port == 5432 && r.cidr_ipv4 == null])
    error_message = "The allowed security groups must reach the proxy on 5432, and nothing else."
  }
  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.this : r.referenced_security_group_id] == ["sg-0ccccccccccccccc1"]
    error_message = "Only the proxy must reach the instance."
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.proxy_to_instance[0].referenced_security_group_id == aws_security_group.this.id && aws_vpc_security_group_egress_rule.proxy_to_instance[0].from_port == 5432
    error_message = "The proxy's only egress must be the instance on 5432."
  }
  assert {
    condition     = data.aws_iam_policy_document.proxy[0].statement[0].actions == toset(["secretsmanager:GetSecretValue"]) && length(data.aws_iam_policy_document.proxy[0].statement[0].resources) == 2
    error_message = "The proxy's role must read only its two login secrets."
  }
  assert {
    condition     = data.aws_iam_policy_document.proxy[0].statement[1].actions == toset(["kms:Decrypt"]) && data.aws_iam_policy_document.proxy[0].statement[1].resources == toset([var.kms_key_arn])
    error_message = "With a customer-managed key, the proxy's role must decrypt with that key only."
  }
  assert {
    condition     = aws_db_proxy_default_target_group.this[0].connection_pool_config[0].max_connections_percent == 75 && aws_db_proxy_target.this[0].db_instance_identifier == "orders-db"
    error_message = "The target group must take the pool settings and target the instance."
  }
  assert {
    condition     = output.db_connect_address == "orders-db.proxy-abcdefghijkl.eu-west-1.rds.amazonaws.com" && output.db_client_security_group_id == "sg-0ccccccccccccccc1"
    error_message = "With a proxy, clients must connect to its endpoint and name its security group."
  }
  assert {
    condition     = aws_secretsmanager_secret.app_user.kms_key_id == var.kms_key_arn
    error_message = "The customer-managed key must encrypt the application role's secret."
  }
}

run "multi_az" {
  command = plan

  variables {
    multi_az = true
  }

  assert {
    condition     = aws_db_instance.this.multi_az
    error_message = "multi_az must turn on the standby."
  }
}

run "kms_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.kms_key_id == var.kms_key_arn
    error_message = "The customer-managed key must encrypt the storage."
  }
  assert {
    condition     = aws_db_instance.this.performance_insights_kms_key_id == var.kms_key_arn && aws_db_instance.this.master_user_secret_kms_key_id == var.kms_key_arn
    error_message = "The customer-managed key must encrypt Performance Insights and the master user secret."
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == var.kms_key_arn])
    error_message = "The customer-managed key must encrypt the log groups."
  }
}

run "skip_final_snapshot" {
  command = plan

  variables {
    skip_final_snapshot = true
    deletion_protection = false
  }

  assert {
    condition     = aws_db_instance.this.skip_final_snapshot && aws_db_instance.this.final_snapshot_identifier == null
    error_message = "Skipping the final snapshot must leave no snapshot identifier."
  }
  assert {
    condition     = !aws_db_instance.this.deletion_protection
    error_message = "deletion_protection must follow its input."
  }
}

run "final_snapshot_name" {
  command = plan

  variables {
    final_snapshot_identifier = "orders-db-final-2"
  }

  assert {
    condition     = aws_db_instance.this.final_snapshot_identifier == "orders-db-final-2"
    error_message = "A given final snapshot name must be used."
  }
}

run "enhanced_monitoring" {
  command = apply

  variables {
    monitoring_interval = 60
  }

  assert {
    condition     = aws_db_instance.this.monitoring_interval == 60 && aws_db_instance.this.monitoring_role_arn == aws_iam_role.monitoring[0].arn
    error_message = "Enhanced Monitoring must use the module's role."
  }
  assert {
    condition     = length(aws_iam_role_policy.monitoring) == 1 && output.db_enhanced_monitoring_iam_role_arn == "arn:aws:iam::123456789012:role/orders-db-monitoring-20240101"
    error_message = "The monitoring role must get its inline policy and be an output."
  }
  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.monitoring[0].statement : s.resources])) == toset([
      "arn:aws:logs:eu-west-1:123456789012:log-group:RDSOSMetrics",
      "arn:aws:logs:eu-west-1:123456789012:log-group:RDSOSMetrics:log-stream:*",
    ])
    error_message = "The monitoring policy must be scoped to the RDSOSMetrics log group of this account and region."
  }
  assert {
    condition     = one(flatten([for s in data.aws_iam_policy_document.monitoring_assume[0].statement : [for p in s.principals : p.identifiers]])) == "monitoring.rds.amazonaws.com"
    error_message = "Only the RDS monitoring service may assume the role."
  }
}

run "engine_version_minor" {
  command = plan

  variables {
    engine_version = "15.7"
  }

  assert {
    condition     = aws_db_instance.this.engine_version == "15.7" && aws_db_parameter_group.this.family == "postgres15"
    error_message = "A major.minor version must select its major version's parameter group family."
  }
}

run "autoscaling_off_no_access_no_logs" {
  command = plan

  variables {
    max_allocated_storage           = 0
    allowed_security_group_ids      = []
    enabled_cloudwatch_logs_exports = []
    performance_insights_enabled    = false
  }

  assert {
    condition     = aws_db_instance.this.max_allocated_storage == 0
    error_message = "max_allocated_storage 0 must turn autoscaling off."
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.this) == 0 && length(aws_cloudwatch_log_group.this) == 0
    error_message = "No allowed groups means no ingress rule; no exported logs means no log group."
  }
  assert {
    condition     = !aws_db_instance.this.performance_insights_enabled
    error_message = "Performance Insights must follow its input when switched off."
  }
}

run "extra_parameters" {
  command = plan

  variables {
    parameters = [
      { name = "log_min_duration_statement", value = "1000" },
      { name = "shared_preload_libraries", value = "pg_stat_statements", apply_method = "pending-reboot" },
    ]
  }

  assert {
    condition     = length(aws_db_parameter_group.this.parameter) == 3
    error_message = "Extra parameters must be added next to rds.force_ssl."
  }
  assert {
    condition     = contains([for p in aws_db_parameter_group.this.parameter : "${p.name}=${p.apply_method}"], "shared_preload_libraries=pending-reboot")
    error_message = "A parameter's apply_method must be kept."
  }
}

# One run per rule: each proves the rule rejects a bad value before AWS sees it.

run "reject_identifier" {
  command = plan
  variables {
    identifier = "Orders--db-"
  }
  expect_failures = [var.identifier]
}

run "reject_engine_version_major" {
  command = plan
  variables {
    engine_version = "12.19"
  }
  expect_failures = [var.engine_version]
}

run "reject_instance_class" {
  command = plan
  variables {
    instance_class = "t4g.micro"
  }
  expect_failures = [var.instance_class]
}

run "reject_allocated_storage" {
  command = plan
  variables {
    allocated_storage = 10
  }
  expect_failures = [var.allocated_storage]
}

run "reject_max_allocated_storage" {
  command = plan
  variables {
    max_allocated_storage = 100000
  }
  expect_failures = [var.max_allocated_storage]
}

run "reject_max_allocated_storage_below_allocated" {
  command = plan
  variables {
    allocated_storage     = 100
    max_allocated_storage = 105
  }
  expect_failures = [aws_db_instance.this]
}

run "reject_db_name" {
  command = plan
  variables {
    db_name = "1-app"
  }
  expect_failures = [var.db_name]
}

run "reject_master_username" {
  command = plan
  variables {
    master_username = "rdsadmin"
  }
  expect_failures = [var.master_username]
}

run "reject_vpc_id" {
  command = plan
  variables {
    vpc_id = "my-vpc"
  }
  expect_failures = [var.vpc_id]
}

run "reject_single_subnet" {
  command = plan
  variables {
    subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa1"]
  }
  expect_failures = [var.subnet_ids]
}

run "reject_subnet_id" {
  command = plan
  variables {
    subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "10.0.1.0/24"]
  }
  expect_failures = [var.subnet_ids]
}

run "reject_allowed_security_group_id" {
  command = plan
  variables {
    allowed_security_group_ids = ["0.0.0.0/0"]
  }
  expect_failures = [var.allowed_security_group_ids]
}

run "reject_kms_key_arn" {
  command = plan
  variables {
    kms_key_arn = "alias/aws/rds"
  }
  expect_failures = [var.kms_key_arn]
}

run "reject_backup_retention_period" {
  command = plan
  variables {
    backup_retention_period = 0
  }
  expect_failures = [var.backup_retention_period]
}

run "reject_backup_window" {
  command = plan
  variables {
    backup_window = "3am-4am"
  }
  expect_failures = [var.backup_window]
}

run "reject_maintenance_window" {
  command = plan
  variables {
    maintenance_window = "sunday:04:00-sunday:05:00"
  }
  expect_failures = [var.maintenance_window]
}

run "reject_final_snapshot_identifier" {
  command = plan
  variables {
    final_snapshot_identifier = "final_snapshot"
  }
  expect_failures = [var.final_snapshot_identifier]
}

run "reject_log_export" {
  command = plan
  variables {
    enabled_cloudwatch_logs_exports = ["postgresql", "slowquery"]
  }
  expect_failures = [var.enabled_cloudwatch_logs_exports]
}

run "reject_log_retention_days" {
  command = plan
  variables {
    log_retention_days = 45
  }
  expect_failures = [var.log_retention_days]
}

run "reject_performance_insights_retention_period" {
  command = plan
  variables {
    performance_insights_retention_period = 30
  }
  expect_failures = [var.performance_insights_retention_period]
}

run "reject_monitoring_interval" {
  command = plan
  variables {
    monitoring_interval = 120
  }
  expect_failures = [var.monitoring_interval]
}

run "reject_parameter_force_ssl" {
  command = plan
  variables {
    parameters = [{ name = "rds.force_ssl", value = "0" }]
  }
  expect_failures = [var.parameters]
}

run "reject_parameter_apply_method" {
  command = plan
  variables {
    parameters = [{ name = "work_mem", value = "8192", apply_method = "now" }]
  }
  expect_failures = [var.parameters]
}

run "reject_duplicate_parameter" {
  command = plan
  variables {
    parameters = [
      { name = "work_mem", value = "8192" },
      { name = "work_mem", value = "16384" },
    ]
  }
  expect_failures = [var.parameters]
}

run "reject_app_username_reserved" {
  command = plan
  variables {
    app_username = "pg_app"
  }
  expect_failures = [var.app_username]
}

run "reject_app_username_master" {
  command = plan
  variables {
    master_username = "owner"
    app_username    = "owner"
  }
  expect_failures = [var.app_username]
}

run "reject_proxy_idle_client_timeout" {
  command = plan
  variables {
    proxy = { enabled = true, idle_client_timeout = 0 }
  }
  expect_failures = [var.proxy]
}

run "reject_proxy_max_connections_percent" {
  command = plan
  variables {
    proxy = { enabled = true, max_connections_percent = 101 }
  }
  expect_failures = [var.proxy]
}

run "reject_proxy_idle_above_max" {
  command = plan
  variables {
    proxy = { enabled = true, max_connections_percent = 40, max_idle_connections_percent = 50 }
  }
  expect_failures = [var.proxy]
}

run "reject_proxy_connection_borrow_timeout" {
  command = plan
  variables {
    proxy = { enabled = true, connection_borrow_timeout = 3601 }
  }
  expect_failures = [var.proxy]
}

# The environment's PostgreSQL database (optional). Its master password is managed by RDS in
# Secrets Manager; the functions log in as the application role, through its own secret
# (filled by the migration function), and reach the proxy when there is one.

module "database" {
  #checkov:skip=CKV_AWS_293:Deletion protection is database.deletion_protection, on unless an environment turns it off (dev, local).
  #checkov:skip=CKV_AWS_133:Backups are database.backup_retention_period, 7 days unless an environment sets it (never below 1).
  #checkov:skip=CKV_AWS_353:Performance Insights is database.performance_insights_enabled (off where the instance class lacks it).
  source = "../modules/rds_postgres"
  count  = local.database_enabled ? 1 : 0

  identifier                   = local.name_prefix
  engine_version               = var.database.engine_version
  instance_class               = var.database.instance_class
  allocated_storage            = var.database.allocated_storage
  max_allocated_storage        = var.database.max_allocated_storage
  db_name                      = var.database.db_name
  multi_az                     = var.database.multi_az
  deletion_protection          = var.database.deletion_protection
  skip_final_snapshot          = var.database.skip_final_snapshot
  backup_retention_period      = var.database.backup_retention_period
  performance_insights_enabled = var.database.performance_insights_enabled
  apply_immediately            = var.database.apply_immediately
  app_username                 = var.database.app_username
  proxy                        = { enabled = var.database.proxy }

  vpc_id                     = local.vpc_id
  subnet_ids                 = local.subnet_ids
  allowed_security_group_ids = aws_security_group.lambda[*].id
}

output "db_instance_identifier" {
  description = "Identifier of the DB instance."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "ARN of the DB instance."
  value       = aws_db_instance.this.arn
}

output "db_instance_resource_id" {
  description = "Resource ID of the DB instance (the one IAM database authentication policies name)."
  value       = aws_db_instance.this.resource_id
}

output "db_instance_endpoint" {
  description = "Connection endpoint, address:port."
  value       = aws_db_instance.this.endpoint
}

output "db_instance_address" {
  description = "Host name of the DB instance."
  value       = aws_db_instance.this.address
}

output "db_instance_port" {
  description = "Port the DB instance listens on."
  value       = aws_db_instance.this.port
}

output "db_instance_name" {
  description = "Name of the database created in the instance."
  value       = aws_db_instance.this.db_name
}

output "db_instance_username" {
  description = "Name of the master user (its password lives only in the master user secret)."
  value       = aws_db_instance.this.username
}

output "db_instance_master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret, managed and rotated by RDS, that holds the master user's credentials."
  value       = try(aws_db_instance.this.master_user_secret[0].secret_arn, null)
}

output "db_security_group_id" {
  description = "ID of the instance's security group (port 5432 from the allowed security groups only)."
  value       = aws_security_group.this.id
}

output "db_subnet_group_name" {
  description = "Name of the DB subnet group."
  value       = aws_db_subnet_group.this.name
}

output "db_parameter_group_name" {
  description = "Name of the DB parameter group (rds.force_ssl = 1)."
  value       = aws_db_parameter_group.this.name
}

output "db_instance_cloudwatch_log_group_names" {
  description = "Log group of each exported PostgreSQL log, keyed by log type."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}

output "db_enhanced_monitoring_iam_role_arn" {
  description = "ARN of the Enhanced Monitoring role, or null when monitoring_interval is 0."
  value       = try(aws_iam_role.monitoring[0].arn, null)
}

output "db_app_username" {
  description = "Login role of the application's functions (created by the migration function)."
  value       = var.app_username
}

output "db_app_user_secret_arn" {
  description = "ARN of the Secrets Manager secret of the application role: JSON username and password, written by the migration function. The secret to give functions, never the master's."
  value       = aws_secretsmanager_secret.app_user.arn
}

output "db_connect_address" {
  description = "Host name clients connect to: the proxy's endpoint when proxy.enabled, else the instance's address."
  value       = var.proxy.enabled ? aws_db_proxy.this[0].endpoint : aws_db_instance.this.address
}

output "db_client_security_group_id" {
  description = "Security group that clients' egress rules name: the proxy's when proxy.enabled, else the instance's."
  value       = var.proxy.enabled ? aws_security_group.proxy[0].id : aws_security_group.this.id
}

output "db_proxy_arn" {
  description = "ARN of the RDS Proxy; null without one."
  value       = try(aws_db_proxy.this[0].arn, null)
}

output "db_proxy_endpoint" {
  description = "Endpoint of the RDS Proxy; null without one."
  value       = try(aws_db_proxy.this[0].endpoint, null)
}

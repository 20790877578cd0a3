output "db_instance_identifier" {
  description = "Identifier of the DB instance."
  value       = module.database.db_instance_identifier
}

output "db_instance_arn" {
  description = "ARN of the DB instance."
  value       = module.database.db_instance_arn
}

output "db_instance_endpoint" {
  description = "Connection endpoint, address:port."
  value       = module.database.db_instance_endpoint
}

output "db_instance_address" {
  description = "Host name of the DB instance."
  value       = module.database.db_instance_address
}

output "db_instance_port" {
  description = "Port the DB instance listens on."
  value       = module.database.db_instance_port
}

output "db_instance_name" {
  description = "Name of the database created in the instance."
  value       = module.database.db_instance_name
}

output "db_instance_username" {
  description = "Name of the master user (its password lives only in the master user secret)."
  value       = module.database.db_instance_username
}

output "db_instance_master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret, managed and rotated by RDS, that holds the master user's credentials."
  value       = module.database.db_instance_master_user_secret_arn
}

output "db_security_group_id" {
  description = "ID of the instance's security group (port 5432 from the allowed security groups only)."
  value       = module.database.db_security_group_id
}

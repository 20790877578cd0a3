output "api_url" {
  description = "The HTTP API's URL (its $default stage)."
  value       = module.api.api_stage_invoke_url
}

output "api_id" {
  description = "The HTTP API's ID."
  value       = module.api.api_id
}

output "frontend_url" {
  description = "The frontend's URL on Amplify; null when the frontend is disabled."
  value       = try(module.frontend[0].amplify_branch_urls[var.frontend.branch], null)
}

output "frontend_app_id" {
  description = "The Amplify app's ID (what `deployer publish` deploys to); null when the frontend is disabled."
  value       = one(module.frontend[*].amplify_app_id)
}

output "frontend_branch" {
  description = "The Amplify branch `deployer publish` deploys to; null when the frontend is disabled."
  value       = var.frontend.enabled ? var.frontend.branch : null
}

output "region" {
  description = "The AWS region of the environment."
  value       = var.region
}

output "table_names" {
  description = "DynamoDB table names by logical name."
  value       = { for name, t in module.table : name => t.dynamodb_table_name }
}

output "function_names" {
  description = "Lambda function names by function (folder) name."
  value       = { for name, f in module.function : name => f.lambda_function_name }
}

output "packages_bucket" {
  description = "The bucket the functions' zips are stored in (`deployer deploy-code` uploads there too); null when packages.in_s3 is false."
  value       = one(aws_s3_bucket.packages[*].bucket)
}

output "function_environment" {
  description = "Each function's environment variables (table names, database address and secret ARN; no secret values), for running a handler locally (`deployer invoke`)."
  value       = local.function_environment
}

output "database_endpoint" {
  description = "The database's endpoint (host:port); null when the database is disabled."
  value       = one(module.database[*].db_instance_endpoint)
}

output "database_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the database's master credentials; null when disabled."
  value       = one(module.database[*].db_instance_master_user_secret_arn)
}

output "database_app_secret_arn" {
  description = "ARN of the Secrets Manager secret of the application role the functions log in as (filled by the migration function); null when the database is disabled."
  value       = local.database_app_secret_arn
}

output "database_proxy_endpoint" {
  description = "Endpoint of the database's RDS Proxy; null without one."
  value       = one(module.database[*].db_proxy_endpoint)
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the environment's alarms notify; null when alarms are disabled."
  value       = module.observability.sns_topic_arn
}

output "dashboard_name" {
  description = "Name of the environment's CloudWatch dashboard; null when alarms are disabled."
  value       = module.observability.cloudwatch_dashboard_name
}

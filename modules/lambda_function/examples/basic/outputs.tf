output "lambda_function_name" {
  description = "Name of the Lambda function."
  value       = module.function.lambda_function_name
}

output "lambda_function_arn" {
  description = "Unqualified ARN of the Lambda function."
  value       = module.function.lambda_function_arn
}

output "lambda_function_version" {
  description = "Version published by this apply (the one the alias points at)."
  value       = module.function.lambda_function_version
}

output "lambda_alias_name" {
  description = "Name of the alias callers invoke (pass it as the qualifier of permissions)."
  value       = module.function.lambda_alias_name
}

output "lambda_alias_arn" {
  description = "ARN of the alias callers invoke."
  value       = module.function.lambda_alias_arn
}

output "lambda_alias_invoke_arn" {
  description = "Invoke ARN of the alias, for API Gateway integrations and authorizers."
  value       = module.function.lambda_alias_invoke_arn
}

output "lambda_role_arn" {
  description = "ARN of the function's execution role."
  value       = module.function.lambda_role_arn
}

output "lambda_role_name" {
  description = "Name of the function's execution role."
  value       = module.function.lambda_role_name
}

output "lambda_cloudwatch_log_group_name" {
  description = "Name of the function's log group."
  value       = module.function.lambda_cloudwatch_log_group_name
}

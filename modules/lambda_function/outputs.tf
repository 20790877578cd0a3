output "lambda_function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "lambda_function_arn" {
  description = "Unqualified ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "lambda_function_version" {
  description = "Version published by this apply (the one the alias points at)."
  value       = aws_lambda_function.this.version
}

output "lambda_alias_name" {
  description = "Name of the alias callers invoke (pass it as the qualifier of permissions)."
  value       = aws_lambda_alias.this.name
}

output "lambda_alias_arn" {
  description = "ARN of the alias callers invoke."
  value       = aws_lambda_alias.this.arn
}

output "lambda_alias_invoke_arn" {
  description = "Invoke ARN of the alias, for API Gateway integrations and authorizers."
  value       = aws_lambda_alias.this.invoke_arn
}

output "lambda_role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "lambda_role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "lambda_cloudwatch_log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "lambda_cloudwatch_log_group_arn" {
  description = "ARN of the function's log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "lambda_package_s3_uri" {
  description = "Where the function's code was stored (s3://bucket/key) when package_s3 is set; null when the zip was sent with the create call."
  value       = var.package_s3 == null ? null : "s3://${aws_s3_object.package[0].bucket}/${aws_s3_object.package[0].key}"
}

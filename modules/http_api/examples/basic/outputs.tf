output "api_id" {
  description = "ID of the HTTP API."
  value       = module.api.api_id
}

output "api_endpoint" {
  description = "Default execute-api endpoint of the API (https://<id>.execute-api.<region>.amazonaws.com)."
  value       = module.api.api_endpoint
}

output "api_execution_arn" {
  description = "Execution ARN of the API, the prefix of the source ARNs in Lambda permissions."
  value       = module.api.api_execution_arn
}

output "api_stage_invoke_url" {
  description = "URL that invokes the $default stage."
  value       = module.api.api_stage_invoke_url
}

output "api_authorizer_ids" {
  description = "Authorizer IDs by authorizer name."
  value       = module.api.api_authorizer_ids
}

output "api_route_ids" {
  description = "Route IDs by route key."
  value       = module.api.api_route_ids
}

output "api_cloudwatch_log_group_name" {
  description = "Name of the access log group."
  value       = module.api.api_cloudwatch_log_group_name
}

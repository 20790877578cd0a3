output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Default execute-api endpoint of the API (https://<id>.execute-api.<region>.amazonaws.com)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "api_execution_arn" {
  description = "Execution ARN of the API, the prefix of the source ARNs in Lambda permissions."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "api_stage_invoke_url" {
  description = "URL that invokes the $default stage: the API's endpoint and a slash (the same URL as the stage's invoke_url on AWS, and the one an emulator that serves the API reports)."
  value       = "${aws_apigatewayv2_api.this.api_endpoint}/"
}

output "api_authorizer_ids" {
  description = "Authorizer IDs by authorizer name."
  value       = { for name, a in aws_apigatewayv2_authorizer.this : name => a.id }
}

output "api_route_ids" {
  description = "Route IDs by route key."
  value       = { for key, r in aws_apigatewayv2_route.this : key => r.id }
}

output "api_cloudwatch_log_group_name" {
  description = "Name of the access log group."
  value       = aws_cloudwatch_log_group.access.name
}

output "api_domain_name_target_domain_name" {
  description = "Regional domain name to point the custom domain's DNS alias at (null without domain_name)."
  value       = try(aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name, null)
}

output "api_domain_name_hosted_zone_id" {
  description = "Hosted zone ID of the regional domain name, for a Route 53 alias record (null without domain_name)."
  value       = try(aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].hosted_zone_id, null)
}

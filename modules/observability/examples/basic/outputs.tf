output "sns_topic_arn" {
  description = "ARN of the SNS topic every alarm notifies."
  value       = module.observability.sns_topic_arn
}

output "cloudwatch_dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = module.observability.cloudwatch_dashboard_name
}

output "cloudwatch_metric_alarm_names" {
  description = "Names of the alarms."
  value       = module.observability.cloudwatch_metric_alarm_names
}

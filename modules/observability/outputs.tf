output "sns_topic_arn" {
  description = "ARN of the SNS topic every alarm notifies (null when disabled)."
  value       = try(aws_sns_topic.this[0].arn, null)
}

output "sns_topic_name" {
  description = "Name of the SNS topic (null when disabled)."
  value       = try(aws_sns_topic.this[0].name, null)
}

output "kms_key_arn" {
  description = "ARN of the customer managed key that encrypts the topic (null when disabled)."
  value       = try(aws_kms_key.this[0].arn, null)
}

output "cloudwatch_dashboard_name" {
  description = "Name of the CloudWatch dashboard (null when disabled)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "cloudwatch_dashboard_arn" {
  description = "ARN of the CloudWatch dashboard (null when disabled)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_arn, null)
}

output "cloudwatch_metric_alarm_arns" {
  description = "ARNs of the alarms by alarm name."
  value       = { for name, a in merge(aws_cloudwatch_metric_alarm.metric, aws_cloudwatch_metric_alarm.math) : name => a.arn }
}

output "cloudwatch_metric_alarm_names" {
  description = "Names of the alarms."
  value       = sort(concat(keys(aws_cloudwatch_metric_alarm.metric), keys(aws_cloudwatch_metric_alarm.math)))
}

output "database_max_connections" {
  description = "max_connections the connections alarm is a fraction of: database.max_connections, else the instance class's default (null without a database)."
  value       = local.database_max_connections
}

output "sns_topic_subscription_arns" {
  description = "ARNs of the subscriptions by \"<protocol>:<endpoint>\" (\"pending confirmation\" until an email recipient or https endpoint confirms)."
  value       = { for key, s in aws_sns_topic_subscription.this : key => s.arn }
}

output "dynamodb_table_name" {
  description = "Name of the table."
  value       = module.items.dynamodb_table_name
}

output "dynamodb_table_arn" {
  description = "ARN of the table."
  value       = module.items.dynamodb_table_arn
}

output "dynamodb_table_stream_arn" {
  description = "ARN of the table's stream, or null when streams are off."
  value       = module.items.dynamodb_table_stream_arn
}

output "dynamodb_table_stream_label" {
  description = "Timestamp label of the table's stream, or null when streams are off."
  value       = module.items.dynamodb_table_stream_label
}

output "dynamodb_table_index_arns" {
  description = "ARN of each global secondary index, keyed by index name (for IAM policies that query indexes)."
  value       = module.items.dynamodb_table_index_arns
}

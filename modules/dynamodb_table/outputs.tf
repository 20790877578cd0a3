output "dynamodb_table_name" {
  description = "Name of the table."
  value       = aws_dynamodb_table.this.name
}

output "dynamodb_table_id" {
  description = "ID of the table (same as its name)."
  value       = aws_dynamodb_table.this.id
}

output "dynamodb_table_arn" {
  description = "ARN of the table."
  value       = aws_dynamodb_table.this.arn
}

output "dynamodb_table_stream_arn" {
  description = "ARN of the table's stream, or null when streams are off."
  value       = var.stream_view_type != null ? aws_dynamodb_table.this.stream_arn : null
}

output "dynamodb_table_stream_label" {
  description = "Timestamp label of the table's stream, or null when streams are off."
  value       = var.stream_view_type != null ? aws_dynamodb_table.this.stream_label : null
}

output "dynamodb_table_index_arns" {
  description = "ARN of each global secondary index, keyed by index name (for IAM policies that query indexes)."
  value       = { for i in var.global_secondary_indexes : i.name => "${aws_dynamodb_table.this.arn}/index/${i.name}" }
}

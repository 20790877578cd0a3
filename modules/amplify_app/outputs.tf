output "amplify_app_id" {
  description = "ID of the Amplify app (what deployments and the console use)."
  value       = aws_amplify_app.this.id
}

output "amplify_app_arn" {
  description = "ARN of the Amplify app."
  value       = aws_amplify_app.this.arn
}

output "amplify_app_default_domain" {
  description = "Default domain of the app (<app id>.amplifyapp.com)."
  value       = aws_amplify_app.this.default_domain
}

output "amplify_branch_names" {
  description = "Names of the branches the module manages."
  value       = [for b in aws_amplify_branch.this : b.branch_name]
}

output "amplify_branch_arns" {
  description = "ARN of each branch, keyed by branch name."
  value       = { for name, b in aws_amplify_branch.this : name => b.arn }
}

output "amplify_branch_urls" {
  description = "Default URL of each branch, keyed by branch name (Amplify writes '/' in a branch name as '-')."
  value       = { for name, b in aws_amplify_branch.this : name => "https://${replace(b.branch_name, "/", "-")}.${aws_amplify_app.this.default_domain}" }
}

output "amplify_custom_domain_urls" {
  description = "Custom-domain URL of each branch that has a domain_prefix, keyed by branch name; empty without domain_name."
  value       = var.domain_name == null ? {} : { for name, prefix in local.domain_branches : name => "https://${prefix == "" ? "" : "${prefix}."}${var.domain_name}" }
}

output "amplify_domain_certificate_verification_dns_record" {
  description = "DNS record that proves ownership of domain_name for the certificate (create it in your zone), or null without domain_name."
  value       = try(aws_amplify_domain_association.this[0].certificate_verification_dns_record, null)
}

output "amplify_domain_sub_domain_dns_records" {
  description = "DNS record to create for each sub-domain of domain_name, keyed by prefix; empty without domain_name."
  value       = var.domain_name == null ? {} : { for s in aws_amplify_domain_association.this[0].sub_domain : s.prefix => s.dns_record }
}

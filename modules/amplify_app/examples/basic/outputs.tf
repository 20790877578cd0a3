output "amplify_app_id" {
  description = "ID of the Amplify app (what deployments and the console use)."
  value       = module.frontend.amplify_app_id
}

output "amplify_app_arn" {
  description = "ARN of the Amplify app."
  value       = module.frontend.amplify_app_arn
}

output "amplify_app_default_domain" {
  description = "Default domain of the app (<app id>.amplifyapp.com)."
  value       = module.frontend.amplify_app_default_domain
}

output "amplify_branch_names" {
  description = "Names of the branches the module manages."
  value       = module.frontend.amplify_branch_names
}

output "amplify_branch_urls" {
  description = "Default URL of each branch, keyed by branch name (Amplify writes '/' in a branch name as '-')."
  value       = module.frontend.amplify_branch_urls
}

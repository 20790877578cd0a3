variable "staging_basic_auth" {
  description = "\"user:password\" protecting the staging branch; pass it with TF_VAR_staging_basic_auth."
  type        = string
  default     = null
  sensitive   = true
}

variable "name" {
  description = "Name of the Amplify app."
  type        = string

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 255
    error_message = "name must be 1-255 characters long."
  }
}

variable "description" {
  description = "Description of the Amplify app; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.description == null || can(regex("^(?s).{1,1000}$", var.description))
    error_message = "description must be null or 1-1000 characters long."
  }
}

variable "platform" {
  description = "WEB for a static site (SPA or SSG), WEB_COMPUTE for server-side rendering (Next.js SSR)."
  type        = string
  default     = "WEB"

  validation {
    condition     = contains(["WEB", "WEB_COMPUTE"], var.platform)
    error_message = "platform must be WEB or WEB_COMPUTE."
  }
}

variable "repository" {
  description = "HTTPS URL of the Git repository Amplify builds from; null for an app deployed by upload (deployer publishes the build then). Requires access_token."
  type        = string
  default     = null

  validation {
    condition     = var.repository == null || can(regex("^https://[^\\s/]+/\\S+$", var.repository))
    error_message = "repository must be null or an HTTPS repository URL, e.g. https://github.com/org/app."
  }
}

variable "access_token" {
  description = "Personal access token Amplify uses to read the repository (GitHub: a fine-grained token). Required when repository is set; pass it from a secret store or TF_VAR_access_token, never from a committed file. Never an output."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.access_token == null || try(length(trimspace(var.access_token)) > 0, false)
    error_message = "access_token must be null or a non-empty token."
  }
}

variable "build_spec" {
  description = "Build specification (amplify.yml content) for the app; null uses the amplify.yml of the repository."
  type        = string
  default     = null
}

variable "environment_variables" {
  description = "Environment variables for every branch's build (plain settings only: they are visible in the console and in the state)."
  type        = map(string)
  default     = {}
}

variable "iam_service_role_arn" {
  description = "ARN of an IAM service role for Amplify (e.g. for WEB_COMPUTE apps to write SSR logs to CloudWatch); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.iam_service_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.iam_service_role_arn))
    error_message = "iam_service_role_arn must be null or an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "branches" {
  description = "Branches keyed by branch name. stage: PRODUCTION, BETA, DEVELOPMENT, EXPERIMENTAL or PULL_REQUEST. basic_auth_credentials (\"user:password\", plain text, encoded by the module) protects a non-production branch. domain_prefix maps the branch to a sub-domain of domain_name (\"\" for the apex)."
  type = map(object({
    stage                       = optional(string, "PRODUCTION")
    framework                   = optional(string)
    description                 = optional(string)
    enable_auto_build           = optional(bool, true)
    enable_pull_request_preview = optional(bool, false)
    environment_variables       = optional(map(string), {})
    basic_auth_credentials      = optional(string)
    domain_prefix               = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for name, b in var.branches : length(name) >= 1 && length(name) <= 255])
    error_message = "Every branch name (map key) must be 1-255 characters long."
  }

  validation {
    condition     = alltrue([for b in var.branches : contains(["PRODUCTION", "BETA", "DEVELOPMENT", "EXPERIMENTAL", "PULL_REQUEST"], b.stage)])
    error_message = "Every branch stage must be PRODUCTION, BETA, DEVELOPMENT, EXPERIMENTAL or PULL_REQUEST."
  }

  validation {
    condition     = alltrue([for b in var.branches : b.basic_auth_credentials == null || b.stage != "PRODUCTION"])
    error_message = "basic_auth_credentials is for non-production branches only: a PRODUCTION branch is public."
  }

  validation {
    condition     = alltrue([for b in var.branches : b.basic_auth_credentials == null || can(regex("^[^:]+:.+$", b.basic_auth_credentials))])
    error_message = "basic_auth_credentials must be \"user:password\" in plain text (the module encodes it)."
  }

  validation {
    condition     = alltrue([for b in var.branches : b.domain_prefix == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$", b.domain_prefix))])
    error_message = "Every domain_prefix must be \"\" (the apex) or one lowercase DNS label (letters, digits, hyphens; at most 63)."
  }
}

variable "custom_rules" {
  description = "Redirect and rewrite rules, in order. null means: for WEB, rewrite every path without a file extension to /index.html (a single-page app); for WEB_COMPUTE, none. status: 200 (rewrite), 301, 302, 404 or 404-200."
  type = list(object({
    source    = string
    target    = string
    status    = optional(string)
    condition = optional(string)
  }))
  default = null

  validation {
    condition     = var.custom_rules == null || alltrue([for r in(var.custom_rules == null ? [] : var.custom_rules) : r.status == null || contains(["200", "301", "302", "404", "404-200"], coalesce(r.status, "200"))])
    error_message = "Every custom rule status must be 200, 301, 302, 404 or 404-200."
  }

  validation {
    condition     = var.custom_rules == null || alltrue([for r in(var.custom_rules == null ? [] : var.custom_rules) : length(r.source) > 0 && length(r.target) > 0])
    error_message = "Every custom rule needs a non-empty source and target."
  }
}

variable "domain_name" {
  description = "Custom domain (e.g. example.com) to associate with the branches that set domain_prefix; null for none. Amplify issues the certificate; DNS records are yours to create."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be null or a lowercase domain name such as example.com."
  }
}

variable "tags" {
  description = "Tags for the app and its branches."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name of the HTTP API; also names its access log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.name))
    error_message = "name must be 1-128 letters, digits, dots, hyphens or underscores."
  }
}

variable "description" {
  description = "Description of the API."
  type        = string
  default     = ""

  validation {
    condition     = length(var.description) <= 1024
    error_message = "description must be at most 1024 characters."
  }
}

variable "cors" {
  description = "CORS configuration answered by API Gateway itself; null disables CORS (same-origin callers only)."
  type = object({
    allow_origins     = list(string)
    allow_methods     = optional(list(string))
    allow_headers     = optional(list(string))
    allow_credentials = optional(bool, false)
    max_age           = optional(number, 300)
  })
  default = null

  validation {
    condition     = var.cors == null ? true : !(var.cors.allow_credentials && contains(var.cors.allow_origins, "*"))
    error_message = "cors.allow_origins must not contain \"*\" when cors.allow_credentials is true: list the exact origins instead."
  }

  validation {
    condition     = var.cors == null ? true : length(var.cors.allow_origins) > 0 && alltrue([for o in var.cors.allow_origins : o == "*" || can(regex("^https?://[A-Za-z0-9*.-]+(:[0-9]{1,5})?$", o))])
    error_message = "cors.allow_origins must list at least one origin, each \"*\" or scheme://host[:port] without a path (e.g. https://app.example.com)."
  }

  validation {
    condition     = var.cors == null ? true : alltrue([for m in coalesce(var.cors.allow_methods, []) : contains(["*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], m)])
    error_message = "cors.allow_methods entries must be GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or \"*\"."
  }

  validation {
    condition     = var.cors == null ? true : var.cors.max_age >= 0 && var.cors.max_age <= 86400
    error_message = "cors.max_age must be between 0 and 86400 seconds."
  }
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst limit (requests) of every route."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit >= 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number of requests, 0 or more."
  }
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state limit (requests per second) of every route."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit >= 0
    error_message = "throttling_rate_limit must be 0 or more requests per second."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the access logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 (0, never expire, is not offered)."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the access log group; null uses AWS owned keys. The key policy must let CloudWatch Logs use it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "authorizers" {
  description = <<-EOT
    Authorizers by name. JWT: `issuer` (https) and `audience`. REQUEST: a Lambda authorizer
    (payload 2.0, simple responses) given by `function_name`, `function_invoke_arn` (the
    alias's) and `function_qualifier` (the alias name, scoping its invoke permission).
  EOT
  type = map(object({
    type                = string
    issuer              = optional(string)
    audience            = optional(list(string), [])
    function_name       = optional(string)
    function_invoke_arn = optional(string)
    function_qualifier  = optional(string)
    identity_sources    = optional(list(string), ["$request.header.Authorization"])
    result_ttl_seconds  = optional(number, 300)
  }))
  default = {}

  validation {
    condition     = alltrue([for a in values(var.authorizers) : contains(["JWT", "REQUEST"], a.type)])
    error_message = "authorizers type must be JWT or REQUEST."
  }

  validation {
    condition     = alltrue([for a in values(var.authorizers) : a.type != "JWT" || (startswith(coalesce(a.issuer, "-"), "https://") && length(a.audience) > 0)])
    error_message = "JWT authorizers need an https:// issuer and at least one audience."
  }

  validation {
    condition     = alltrue([for a in values(var.authorizers) : a.type != "REQUEST" || (a.function_name != null && a.function_invoke_arn != null)])
    error_message = "REQUEST authorizers need function_name and function_invoke_arn (the alias's invoke ARN)."
  }

  validation {
    condition     = alltrue([for a in values(var.authorizers) : a.result_ttl_seconds >= 0 && a.result_ttl_seconds <= 3600])
    error_message = "authorizers result_ttl_seconds must be between 0 and 3600."
  }

  validation {
    condition     = alltrue([for a in values(var.authorizers) : length(a.identity_sources) > 0 && alltrue([for s in a.identity_sources : can(regex("^\\$(request|context|stageVariables)\\.", s))])])
    error_message = "authorizers identity_sources must list at least one source, each starting with $request., $context. or $stageVariables. (e.g. $request.header.Authorization)."
  }

  validation {
    condition     = alltrue([for k in keys(var.authorizers) : can(regex("^[A-Za-z0-9_-]{1,128}$", k))])
    error_message = "authorizers names must be 1-128 letters, digits, hyphens or underscores."
  }
}

variable "routes" {
  description = <<-EOT
    Routes by route key (`GET /items/{id}`, `ANY /{proxy+}` or `$default`), each sent to a
    Lambda function (`function_invoke_arn`: the alias's invoke ARN; `function_qualifier`: the
    alias name). Every route names an `authorizer` (with optional JWT `authorization_scopes`)
    or is explicitly `public`.
  EOT
  type = map(object({
    function_name        = string
    function_invoke_arn  = string
    function_qualifier   = optional(string)
    authorizer           = optional(string)
    authorization_scopes = optional(list(string), [])
    public               = optional(bool, false)
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.routes) : k == "$default" || can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /[^ ]*$", k))])
    error_message = "routes keys must be \"$default\" or \"METHOD /path\" with METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : (r.authorizer != null) != r.public])
    error_message = "Every route needs exactly one of authorizer (a key of var.authorizers) or public = true."
  }

  validation {
    condition     = alltrue([for r in values(var.routes) : can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/arn:aws[a-z-]*:lambda:.+/invocations$", r.function_invoke_arn))])
    error_message = "routes function_invoke_arn must be a Lambda invoke ARN (arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations), e.g. the lambda_function module's lambda_alias_invoke_arn."
  }
}

variable "domain_name" {
  description = "Custom domain served by this API's $default stage (needs certificate_arn); null serves only the execute-api endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be null or a lowercase DNS name such as api.example.com."
  }
}

variable "certificate_arn" {
  description = "ACM certificate (in the API's region) for domain_name."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.certificate_arn))
    error_message = "certificate_arn must be null or an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }
}

variable "disable_execute_api_endpoint" {
  description = "Serve the API only through domain_name, turning off the default execute-api endpoint."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}

variable "function_name" {
  description = "Name of the Lambda function; also names its IAM role and log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of letters, digits, hyphens or underscores."
  }
}

variable "filename" {
  description = "Path to the deployment package (a .zip built by `deployer package`)."
  type        = string

  validation {
    condition     = endswith(lower(var.filename), ".zip")
    error_message = "filename must be the path of a .zip deployment package."
  }
}

variable "source_code_hash" {
  description = "Base64-encoded SHA-256 of the zip (what filebase64sha256 returns); a change triggers a code update."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+/]{43}=$", var.source_code_hash))
    error_message = "source_code_hash must be a base64-encoded SHA-256 digest (44 characters ending in '='), as filebase64sha256 returns."
  }
}

variable "deployed_code_sha256" {
  description = "The code hash the function runs now, read by the caller at plan time (the $LATEST CodeSha256, e.g. from data.aws_lambda_function); null for a new function. When it equals source_code_hash the module leaves the code alone, so code deployed outside Terraform (deployer deploy-code) is no change."
  type        = string
  default     = null

  validation {
    condition     = var.deployed_code_sha256 == null || can(regex("^[A-Za-z0-9+/]{43}=$", var.deployed_code_sha256))
    error_message = "deployed_code_sha256 must be null or a base64-encoded SHA-256 digest (44 characters ending in '='), as Lambda's CodeSha256 is."
  }
}

variable "handler" {
  description = "Entry point of the function, `module.function` (e.g. `handler.handler`)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_./-]+\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler)) && length(var.handler) <= 128
    error_message = "handler must be `module.function` (at most 128 characters, no spaces), e.g. handler.handler."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = ""

  validation {
    condition     = length(var.description) <= 256
    error_message = "description must be at most 256 characters."
  }
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.12"

  validation {
    condition = contains([
      "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
      "nodejs18.x", "nodejs20.x", "nodejs22.x", "java11", "java17", "java21", "dotnet8",
      "ruby3.3", "ruby3.4", "provided.al2", "provided.al2023",
    ], var.runtime)
    error_message = "runtime must be a runtime Lambda accepts for new functions: python3.9-python3.13, nodejs18.x/20.x/22.x, java11/17/21, dotnet8, ruby3.3/3.4, provided.al2 or provided.al2023."
  }
}

variable "architecture" {
  description = "Instruction set architecture: arm64 (Graviton, cheaper) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB between 128 and 10240."
  }
}

variable "timeout" {
  description = "Maximum run time in seconds."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds between 1 and 900."
  }
}

variable "environment_variables" {
  description = "Environment variables of the function: plain settings, never secrets (read those from Secrets Manager)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment_variables) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", k))])
    error_message = "environment_variables keys must start with a letter and hold only letters, digits and underscores."
  }

  validation {
    condition = length(setintersection(keys(var.environment_variables), [
      "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION",
      "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME",
      "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
      "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT",
    ])) == 0
    error_message = "environment_variables must not set a key Lambda reserves (AWS_REGION, AWS_LAMBDA_*, AWS_ACCESS_KEY_ID, _HANDLER, LAMBDA_TASK_ROOT, ...)."
  }
}

variable "policy_statements" {
  description = "The IAM statements (Allow) of the function's role, besides its own logs, tracing, VPC and failure-destination access: named actions on named resources."
  type = list(object({
    sid       = optional(string)
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []

  validation {
    condition     = alltrue(flatten([for s in var.policy_statements : [for a in s.actions : !strcontains(a, "*")]]))
    error_message = "policy_statements actions must be named actions: no action may contain \"*\"."
  }

  validation {
    condition     = alltrue(flatten([for s in var.policy_statements : [for a in s.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))]]))
    error_message = "policy_statements actions must look like service:Action (e.g. dynamodb:GetItem)."
  }

  validation {
    condition     = alltrue([for s in var.policy_statements : length(s.actions) > 0 && length(s.resources) > 0])
    error_message = "policy_statements entries must each list at least one action and one resource."
  }

  validation {
    condition     = alltrue([for s in var.policy_statements : s.sid == null || can(regex("^[A-Za-z0-9]+$", s.sid))])
    error_message = "policy_statements sid must hold only letters and digits."
  }

  validation {
    condition     = length(compact([for s in var.policy_statements : s.sid])) == length(distinct(compact([for s in var.policy_statements : s.sid])))
    error_message = "policy_statements sids must be unique."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the function's logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 (0, never expire, is not offered)."
  }
}

variable "package_s3" {
  description = "Store the zip in this S3 bucket (at <function name>/package.zip, its hash in the code-sha256 metadata) and create the function from there; kms_key_arn encrypts the object with a customer managed key (null: the bucket's default encryption). null sends the zip with the create call: the AWS provider then creates functions one at a time (about 5 s each) and a direct upload stops at 50 MB. The bucket name may be known only after apply."
  type = object({
    bucket      = string
    kms_key_arn = optional(string)
  })
  default = null

  validation {
    condition     = var.package_s3 == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.package_s3.bucket))
    error_message = "package_s3.bucket must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }

  validation {
    condition     = var.package_s3 == null || try(var.package_s3.kms_key_arn == null, true) || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.package_s3.kms_key_arn))
    error_message = "package_s3.kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the log group and the environment variables; null uses AWS owned keys. The key policy must let CloudWatch Logs use it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing: Active samples and traces requests, PassThrough only traces requests an upstream service sampled."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for (and capping) the function; -1 for none, 0 stops all invocations."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions
    error_message = "reserved_concurrent_executions must be -1 (unreserved), 0 (throttled) or a positive whole number."
  }
}

variable "vpc_config" {
  description = "Subnets and security groups to run the function in a VPC; the role then gets exactly the network-interface actions Lambda needs."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition     = var.vpc_config == null ? true : length(var.vpc_config.subnet_ids) > 0 && length(var.vpc_config.security_group_ids) > 0
    error_message = "vpc_config must list at least one subnet id and one security group id (or be null)."
  }
}

variable "dead_letter_target_arn" {
  description = "SQS queue or SNS topic ARN that receives asynchronous events which failed every retry."
  type        = string
  default     = null

  validation {
    condition     = var.dead_letter_target_arn == null || can(regex("^arn:aws[a-z-]*:(sqs|sns):[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$", var.dead_letter_target_arn))
    error_message = "dead_letter_target_arn must be null or an SQS queue or SNS topic ARN."
  }
}

variable "on_failure_destination_arn" {
  description = "Destination (SQS, SNS, Lambda or EventBridge bus ARN) for asynchronous invocations of the alias that failed."
  type        = string
  default     = null

  validation {
    condition     = var.on_failure_destination_arn == null || can(regex("^arn:aws[a-z-]*:(sqs|sns|lambda|events):[a-z0-9-]+:[0-9]{12}:.+$", var.on_failure_destination_arn))
    error_message = "on_failure_destination_arn must be null or an SQS, SNS, Lambda or EventBridge event bus ARN."
  }
}

variable "async_maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation of the alias before it goes to the failure destination."
  type        = number
  default     = 2

  validation {
    condition     = contains([0, 1, 2], var.async_maximum_retry_attempts)
    error_message = "async_maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "async_maximum_event_age_seconds" {
  description = "Age after which an asynchronous event is no longer retried and goes to the failure destination."
  type        = number
  default     = 21600

  validation {
    condition     = var.async_maximum_event_age_seconds >= 60 && var.async_maximum_event_age_seconds <= 21600 && floor(var.async_maximum_event_age_seconds) == var.async_maximum_event_age_seconds
    error_message = "async_maximum_event_age_seconds must be a whole number of seconds between 60 and 21600."
  }
}

variable "alias_name" {
  description = "Alias pointing at the version this apply published; callers invoke it, so a rollback is an alias move."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.alias_name)) && !can(regex("^[0-9]+$", var.alias_name))
    error_message = "alias_name must be 1-128 letters, digits, hyphens or underscores, and not only digits."
  }
}

variable "code_signing_config_arn" {
  description = "Lambda code signing config that the deployment package must satisfy; null deploys unsigned packages."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be null or a Lambda code signing config ARN (arn:aws:lambda:<region>:<account>:code-signing-config:csc-<17 characters>)."
  }
}

variable "role_permissions_boundary_arn" {
  description = "IAM policy ARN set as the permissions boundary of the function's role, where the organisation requires one."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary_arn))
    error_message = "role_permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}

variable "function_tags" {
  description = "Extra tags on the function alone (e.g. a digest of its settings that a code-only deploy compares), on top of tags."
  type        = map(string)
  default     = {}
}

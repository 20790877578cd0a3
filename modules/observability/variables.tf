variable "enabled" {
  description = "Create the alarms, the topic (and its key) and the dashboard; false creates nothing."
  type        = bool
  default     = true
}

variable "name" {
  description = "Prefix of every name: the topic `<name>-alarms`, the key alias, the dashboard `<name>` and each alarm `<name>-<target>-<metric>`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name))
    error_message = "name must be 1-200 letters, digits, hyphens or underscores (it names an SNS topic and a dashboard)."
  }
}

variable "functions" {
  description = "Lambda functions to watch, by function name: `timeout` (seconds, what the Duration alarm is a fraction of) and `asynchronous` (invoked asynchronously with a dead-letter queue or on-failure destination: adds the DeadLetterErrors and DestinationDeliveryFailures alarms)."
  type = map(object({
    timeout      = number
    asynchronous = optional(bool, false)
  }))
  default = {}

  validation {
    condition     = alltrue([for f in values(var.functions) : f.timeout >= 1 && f.timeout <= 900])
    error_message = "functions[*].timeout must be the function's timeout in seconds, 1-900."
  }
}

variable "api" {
  description = "HTTP API (API Gateway v2) to watch: its `id` and `stage` name; null watches no API."
  type = object({
    id    = string
    stage = optional(string, "$default")
  })
  default = null
}

variable "database" {
  description = "RDS instance to watch: its `identifier` and `instance_class` (what the connection and memory alarms are fractions of); `max_connections` overrides the class's default (set it when a parameter group changes max_connections, or for a class outside the module's table). null watches no database."
  type = object({
    identifier      = string
    instance_class  = string
    max_connections = optional(number)
  })
  default = null

  validation {
    condition     = var.database == null ? true : can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.database.instance_class))
    error_message = "database.instance_class must be an RDS instance class such as db.t4g.micro or db.r6g.large."
  }
}

variable "tables" {
  description = "DynamoDB tables to watch, by logical name (used in alarm names) with the table's name as value."
  type        = map(string)
  default     = {}
}

variable "thresholds" {
  description = <<-EOT
    When an alarm fires. Counts (`function_errors`, `function_throttles`, `table_throttles`,
    `table_system_errors`, `function_async_failures`): above this many in one period.
    Fractions (0-1): `function_duration` of the function's timeout (p99), `api_5xx_rate`
    (5xx / Count), `database_connections` of max_connections, `database_freeable_memory` of
    the class's memory (below it). `api_latency_p99_ms` in milliseconds, `database_cpu_percent`
    in percent, `database_free_storage_gib` in GiB (below it).
  EOT
  type = object({
    function_errors           = optional(number, 0)
    function_throttles        = optional(number, 0)
    function_duration         = optional(number, 0.8)
    function_async_failures   = optional(number, 0)
    api_5xx_rate              = optional(number, 0.05)
    api_latency_p99_ms        = optional(number, 2000)
    database_cpu_percent      = optional(number, 80)
    database_free_storage_gib = optional(number, 2)
    database_connections      = optional(number, 0.8)
    database_freeable_memory  = optional(number, 0.1)
    table_throttles           = optional(number, 0)
    table_system_errors       = optional(number, 0)
  })
  default = {}

  validation {
    condition = alltrue([for v in [
      var.thresholds.function_errors, var.thresholds.function_throttles, var.thresholds.function_async_failures,
      var.thresholds.table_throttles, var.thresholds.table_system_errors,
    ] : v >= 0])
    error_message = "thresholds.function_errors, function_throttles, function_async_failures, table_throttles and table_system_errors are counts: 0 or more."
  }

  validation {
    condition = alltrue([for v in [
      var.thresholds.function_duration, var.thresholds.api_5xx_rate,
      var.thresholds.database_connections, var.thresholds.database_freeable_memory,
    ] : v > 0 && v <= 1])
    error_message = "thresholds.function_duration, api_5xx_rate, database_connections and database_freeable_memory are fractions: above 0, at most 1 (0.8 is 80 %)."
  }

  validation {
    condition     = var.thresholds.database_cpu_percent > 0 && var.thresholds.database_cpu_percent <= 100
    error_message = "thresholds.database_cpu_percent must be above 0 and at most 100."
  }

  validation {
    condition     = var.thresholds.api_latency_p99_ms > 0 && var.thresholds.api_latency_p99_ms <= 30000
    error_message = "thresholds.api_latency_p99_ms must be above 0 and at most 30000 (API Gateway's integration timeout)."
  }

  validation {
    condition     = var.thresholds.database_free_storage_gib > 0
    error_message = "thresholds.database_free_storage_gib must be above 0 GiB."
  }
}

variable "period_seconds" {
  description = "Length of one evaluation period, in seconds (60 or a multiple of 60)."
  type        = number
  default     = 60

  validation {
    condition     = var.period_seconds >= 60 && var.period_seconds % 60 == 0
    error_message = "period_seconds must be 60 or a multiple of 60."
  }
}

variable "evaluation_periods" {
  description = "How many periods an alarm looks back over (with period_seconds = 60: minutes)."
  type        = number
  default     = 5

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number, 1 or more (times period_seconds at most one day)."
  }
}

variable "datapoints_to_alarm" {
  description = "How many of the evaluation_periods must breach for the alarm to fire (M of N); null: all of them."
  type        = number
  default     = null

  validation {
    condition     = var.datapoints_to_alarm == null ? true : var.datapoints_to_alarm >= 1 && floor(var.datapoints_to_alarm) == var.datapoints_to_alarm
    error_message = "datapoints_to_alarm must be null or a whole number, 1 or more (and at most evaluation_periods)."
  }
}

variable "subscriptions" {
  description = "Who the topic notifies: `protocol` email (the recipient must confirm the subscription from the mail AWS sends) or https (the endpoint must confirm it), and the `endpoint` (address or URL)."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["email", "https"], s.protocol)])
    error_message = "subscriptions[*].protocol must be \"email\" or \"https\"."
  }

  validation {
    condition = alltrue([for s in var.subscriptions : (
      s.protocol == "email" ? can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", s.endpoint)) : can(regex("^https://[^\\s]+$", s.endpoint))
    )])
    error_message = "subscriptions[*].endpoint must be an email address for protocol email and an https:// URL for protocol https."
  }
}

variable "kms_key_deletion_window_days" {
  description = "Days a deleted topic key waits before KMS deletes it (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}

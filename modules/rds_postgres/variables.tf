variable "identifier" {
  description = "Name of the DB instance; also names its subnet group, security group, parameter group and final snapshot."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.identifier)) && !strcontains(var.identifier, "--") && !endswith(var.identifier, "-")
    error_message = "identifier must be 1-63 lowercase letters, digits or hyphens, start with a letter, and contain no '--' nor end with '-'."
  }
}

variable "vpc_id" {
  description = "VPC of the instance's security group."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the DB subnet group: at least two, in different Availability Zones."
  type        = list(string)

  validation {
    condition     = length(distinct(var.subnet_ids)) >= 2
    error_message = "subnet_ids must list at least 2 distinct subnets (in different Availability Zones): RDS requires it even for a single-AZ instance."
  }

  validation {
    condition     = alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "Every subnet_ids entry must be a subnet ID (subnet-...)."
  }
}

variable "engine_version" {
  description = "PostgreSQL version: a major version (\"16\", RDS picks the current minor and minor upgrades stay automatic) or major.minor (\"16.4\"). The major version (13 or later) selects the parameter group family."
  type        = string
  default     = "16"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.engine_version)) && try(tonumber(split(".", var.engine_version)[0]) >= 13, false)
    error_message = "engine_version must be a PostgreSQL major version of 13 or later, optionally with a minor version (\"16\" or \"16.4\")."
  }
}

variable "instance_class" {
  description = "DB instance class, e.g. db.t4g.micro, db.m7g.large."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.<family>.<size>, e.g. db.t4g.micro."
  }
}

variable "allocated_storage" {
  description = "Initial gp3 storage in GiB (20-65536)."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536 && floor(var.allocated_storage) == var.allocated_storage
    error_message = "allocated_storage must be a whole number of GiB between 20 and 65536."
  }
}

variable "max_allocated_storage" {
  description = "Ceiling in GiB for storage autoscaling; at least 10% above allocated_storage, or 0 to turn autoscaling off."
  type        = number
  default     = 100

  validation {
    condition     = var.max_allocated_storage == 0 || (var.max_allocated_storage <= 65536 && floor(var.max_allocated_storage) == var.max_allocated_storage)
    error_message = "max_allocated_storage must be 0 (autoscaling off) or a whole number of GiB up to 65536."
  }
}

variable "db_name" {
  description = "Name of the database created in the instance."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must be 1-63 letters, digits or underscores and start with a letter."
  }
}

variable "master_username" {
  description = "Name of the master user. Its password is generated and rotated by RDS in Secrets Manager: there is no password input."
  type        = string
  default     = "app_admin"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.master_username)) && !contains(["rdsadmin", "rdsrepladmin", "rds_superuser"], lower(var.master_username))
    error_message = "master_username must be 1-63 letters, digits or underscores, start with a letter, and not be a name RDS reserves (rdsadmin, rdsrepladmin, rds_superuser)."
  }
}

variable "app_username" {
  description = "Login role the application's functions connect as. The module creates its Secrets Manager secret (db_app_user_secret_arn) without a value: the migration function creates the role with only the privileges the schema needs, generates its password and stores it there."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.app_username)) && !startswith(var.app_username, "pg_") && !startswith(var.app_username, "rds")
    error_message = "app_username must be 1-63 lowercase letters, digits or underscores, start with a letter, and not start with pg_ or rds (names PostgreSQL and RDS reserve)."
  }

  validation {
    condition     = var.app_username != lower(var.master_username)
    error_message = "app_username must differ from master_username: the functions must never log in as the master user."
  }
}

variable "proxy" {
  description = "RDS Proxy in front of the instance: pooled connections for Lambda, TLS required, logins from the master and application secrets. When enabled, allowed_security_group_ids reach the proxy and only the proxy reaches the instance; db_connect_address is the proxy's endpoint."
  type = object({
    enabled                      = optional(bool, false)
    idle_client_timeout          = optional(number, 1800)
    max_connections_percent      = optional(number, 90)
    max_idle_connections_percent = optional(number, 50)
    connection_borrow_timeout    = optional(number, 120)
    debug_logging                = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.proxy.idle_client_timeout >= 1 && var.proxy.idle_client_timeout <= 28800 && floor(var.proxy.idle_client_timeout) == var.proxy.idle_client_timeout
    error_message = "proxy.idle_client_timeout must be a whole number of seconds from 1 to 28800 (8 hours)."
  }

  validation {
    condition     = var.proxy.max_connections_percent >= 1 && var.proxy.max_connections_percent <= 100 && floor(var.proxy.max_connections_percent) == var.proxy.max_connections_percent
    error_message = "proxy.max_connections_percent must be a whole number from 1 to 100 (of the instance's max_connections)."
  }

  validation {
    condition     = var.proxy.max_idle_connections_percent >= 0 && var.proxy.max_idle_connections_percent <= var.proxy.max_connections_percent && floor(var.proxy.max_idle_connections_percent) == var.proxy.max_idle_connections_percent
    error_message = "proxy.max_idle_connections_percent must be a whole number from 0 to proxy.max_connections_percent."
  }

  validation {
    condition     = var.proxy.connection_borrow_timeout >= 0 && var.proxy.connection_borrow_timeout <= 3600 && floor(var.proxy.connection_borrow_timeout) == var.proxy.connection_borrow_timeout
    error_message = "proxy.connection_borrow_timeout must be a whole number of seconds from 0 to 3600."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may connect on port 5432 (to the proxy when proxy.enabled, else to the instance). No CIDR input exists: access is granted to security groups only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "Every allowed_security_group_ids entry must be a security group ID (sg-...)."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for storage, Performance Insights, the master and application user secrets and the log groups; null uses the AWS managed keys. Storage is always encrypted. Its key policy must allow the CloudWatch Logs service when logs are exported."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); RDS needs the key ARN, not an alias."
  }
}

variable "backup_retention_period" {
  description = "Days of automated backups (1-35). Backups cannot be switched off here."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_period >= 1 && var.backup_retention_period <= 35 && floor(var.backup_retention_period) == var.backup_retention_period
    error_message = "backup_retention_period must be a whole number of days from 1 to 35."
  }
}

variable "backup_window" {
  description = "Daily backup window in UTC (hh24:mi-hh24:mi, at least 30 minutes, not overlapping maintenance_window); null lets RDS choose."
  type        = string
  default     = null

  validation {
    condition     = var.backup_window == null || can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must be null or hh24:mi-hh24:mi in UTC, e.g. 03:00-03:30."
  }
}

variable "maintenance_window" {
  description = "Weekly maintenance window in UTC (ddd:hh24:mi-ddd:hh24:mi); null lets RDS choose."
  type        = string
  default     = null

  validation {
    condition     = var.maintenance_window == null || can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", lower(var.maintenance_window)))
    error_message = "maintenance_window must be null or ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. sun:04:00-sun:05:00."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is turned off (a separate apply before destroy)."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete the instance without a final snapshot. Leave false unless the data is disposable."
  type        = bool
  default     = false
}

variable "final_snapshot_identifier" {
  description = "Name of the snapshot taken when the instance is deleted; null means \"<identifier>-final\". Snapshot names are unique per account and region: delete or rename an old one before deleting a re-created instance."
  type        = string
  default     = null

  validation {
    condition     = var.final_snapshot_identifier == null || try(can(regex("^[A-Za-z][A-Za-z0-9-]{0,254}$", var.final_snapshot_identifier)) && !strcontains(var.final_snapshot_identifier, "--") && !endswith(var.final_snapshot_identifier, "-"), false)
    error_message = "final_snapshot_identifier must be null or 1-255 letters, digits or hyphens, start with a letter, and contain no '--' nor end with '-'."
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in a second Availability Zone (automatic failover; doubles the instance cost)."
  type        = bool
  default     = false
}

variable "iam_database_authentication_enabled" {
  description = "Allow IAM database authentication (short-lived tokens instead of passwords)."
  type        = bool
  default     = true
}

variable "enabled_cloudwatch_logs_exports" {
  description = "PostgreSQL logs exported to CloudWatch Logs: any of postgresql, upgrade, iam-db-auth-error."
  type        = list(string)
  default     = ["postgresql", "upgrade"]

  validation {
    condition     = alltrue([for l in var.enabled_cloudwatch_logs_exports : contains(["postgresql", "upgrade", "iam-db-auth-error"], l)])
    error_message = "enabled_cloudwatch_logs_exports may only contain postgresql, upgrade and iam-db-auth-error."
  }
}

variable "log_retention_days" {
  description = "Days the exported logs are kept (a CloudWatch Logs retention value)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "performance_insights_enabled" {
  description = "Turn on Performance Insights (query-level load; 7 days are free)."
  type        = bool
  default     = true
}

variable "performance_insights_retention_period" {
  description = "Days Performance Insights data is kept: 7 (free), a multiple of 31 up to 713, or 731."
  type        = number
  default     = 7

  validation {
    condition     = contains([7, 731], var.performance_insights_retention_period) || (var.performance_insights_retention_period % 31 == 0 && var.performance_insights_retention_period >= 31 && var.performance_insights_retention_period <= 713)
    error_message = "performance_insights_retention_period must be 7, a multiple of 31 from 31 to 713 (months), or 731."
  }
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds (0, 1, 5, 10, 15, 30 or 60); 0 turns it off. When on, the module creates the monitoring role with an inline least-privilege policy."
  type        = number
  default     = 0

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30 or 60."
  }
}

variable "apply_immediately" {
  description = "Apply modifications now instead of in the next maintenance window (some cause a restart)."
  type        = bool
  default     = false
}

variable "allow_major_version_upgrade" {
  description = "Allow a change of engine_version to a new major version (the parameter group is replaced for the new family)."
  type        = bool
  default     = false
}

variable "parameters" {
  description = "Extra PostgreSQL parameters for the parameter group. rds.force_ssl is always 1 and cannot be set here; static parameters need apply_method pending-reboot."
  type = list(object({
    name         = string
    value        = string
    apply_method = optional(string, "immediate")
  }))
  default = []

  validation {
    condition     = !contains([for p in var.parameters : p.name], "rds.force_ssl")
    error_message = "parameters cannot set rds.force_ssl: the module always forces TLS (rds.force_ssl = 1)."
  }

  validation {
    condition     = alltrue([for p in var.parameters : contains(["immediate", "pending-reboot"], p.apply_method)])
    error_message = "Every parameter apply_method must be immediate or pending-reboot."
  }

  validation {
    condition     = length(distinct([for p in var.parameters : p.name])) == length(var.parameters)
    error_message = "Each parameter name may appear once in parameters."
  }
}

variable "tags" {
  description = "Tags for every resource of the module (copied to snapshots)."
  type        = map(string)
  default     = {}
}

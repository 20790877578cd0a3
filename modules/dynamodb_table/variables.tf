variable "name" {
  description = "Name of the DynamoDB table."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "name must be 3-255 characters of letters, digits, '_', '-' and '.'."
  }
}

variable "hash_key" {
  description = "Attribute name of the partition (hash) key; it must be declared in attributes."
  type        = string

  validation {
    condition     = can(regex("^.{1,255}$", var.hash_key))
    error_message = "hash_key must be 1-255 characters long."
  }
}

variable "attributes" {
  description = "Key attributes of the table and its indexes: name and type (S string, N number, B binary). Declare exactly the attributes used as table or index keys."
  type = list(object({
    name = string
    type = string
  }))

  validation {
    condition     = length(var.attributes) > 0
    error_message = "attributes must declare at least the hash_key attribute."
  }

  validation {
    condition     = alltrue([for a in var.attributes : contains(["S", "N", "B"], a.type)])
    error_message = "Every attribute type must be one of S (string), N (number) or B (binary)."
  }

  validation {
    condition     = length(distinct([for a in var.attributes : a.name])) == length(var.attributes)
    error_message = "Attribute names must be unique: declare each attribute once."
  }
}

variable "range_key" {
  description = "Attribute name of the sort (range) key, or null for a table with a partition key only; when set it must be declared in attributes."
  type        = string
  default     = null

  validation {
    condition     = var.range_key == null || can(regex("^.{1,255}$", var.range_key))
    error_message = "range_key must be null or 1-255 characters long."
  }
}

variable "billing_mode" {
  description = "PAY_PER_REQUEST (on-demand, no capacity planning) or PROVISIONED (requires read_capacity and write_capacity, and the same for every index)."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  description = "Provisioned read capacity units of the table; required with billing_mode PROVISIONED, ignored otherwise."
  type        = number
  default     = null

  validation {
    condition     = var.read_capacity == null || try(var.read_capacity >= 1 && floor(var.read_capacity) == var.read_capacity, false)
    error_message = "read_capacity must be null or a whole number >= 1."
  }
}

variable "write_capacity" {
  description = "Provisioned write capacity units of the table; required with billing_mode PROVISIONED, ignored otherwise."
  type        = number
  default     = null

  validation {
    condition     = var.write_capacity == null || try(var.write_capacity >= 1 && floor(var.write_capacity) == var.write_capacity, false)
    error_message = "write_capacity must be null or a whole number >= 1."
  }
}

variable "global_secondary_indexes" {
  description = "Global secondary indexes. Keys must be declared in attributes; projection_type is ALL, KEYS_ONLY or INCLUDE (INCLUDE needs non_key_attributes); capacities are required with billing_mode PROVISIONED."
  type = list(object({
    name               = string
    hash_key           = string
    range_key          = optional(string)
    projection_type    = optional(string, "ALL")
    non_key_attributes = optional(list(string))
    read_capacity      = optional(number)
    write_capacity     = optional(number)
  }))
  default = []

  validation {
    condition     = alltrue([for i in var.global_secondary_indexes : can(regex("^[A-Za-z0-9_.-]{3,255}$", i.name))])
    error_message = "Every global secondary index name must be 3-255 characters of letters, digits, '_', '-' and '.'."
  }

  validation {
    condition     = length(distinct([for i in var.global_secondary_indexes : i.name])) == length(var.global_secondary_indexes)
    error_message = "Global secondary index names must be unique."
  }

  validation {
    condition     = alltrue([for i in var.global_secondary_indexes : contains(["ALL", "KEYS_ONLY", "INCLUDE"], i.projection_type)])
    error_message = "Every global secondary index projection_type must be ALL, KEYS_ONLY or INCLUDE."
  }

  validation {
    condition = alltrue([
      for i in var.global_secondary_indexes :
      (i.projection_type == "INCLUDE") == (length(coalesce(i.non_key_attributes, [])) > 0)
    ])
    error_message = "non_key_attributes must be set (non-empty) when projection_type is INCLUDE, and only then."
  }
}

variable "ttl_attribute" {
  description = "Name of the attribute holding each item's expiry time (epoch seconds, type Number), or null to keep items forever."
  type        = string
  default     = null

  validation {
    condition     = var.ttl_attribute == null || can(regex("^.{1,255}$", var.ttl_attribute))
    error_message = "ttl_attribute must be null or an attribute name of 1-255 characters."
  }
}

variable "point_in_time_recovery" {
  description = "Keep continuous backups for point-in-time recovery (the last 35 days)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key for server-side encryption; null uses the AWS managed key (aws/dynamodb). Encryption at rest is always on."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "stream_view_type" {
  description = "Enable DynamoDB Streams with this view type (KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES); null leaves streams off."
  type        = string
  default     = null

  validation {
    condition     = var.stream_view_type == null || contains(["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"], coalesce(var.stream_view_type, "-"))
    error_message = "stream_view_type must be null, KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the table until this is turned off (a separate apply before destroy)."
  type        = bool
  default     = true
}

variable "table_class" {
  description = "Storage class: STANDARD, or STANDARD_INFREQUENT_ACCESS for rarely read data (cheaper storage, dearer reads and writes)."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "STANDARD_INFREQUENT_ACCESS"], var.table_class)
    error_message = "table_class must be STANDARD or STANDARD_INFREQUENT_ACCESS."
  }
}

variable "tags" {
  description = "Tags for the table."
  type        = map(string)
  default     = {}
}

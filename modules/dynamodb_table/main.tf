locals {
  provisioned = var.billing_mode == "PROVISIONED"

  declared_attributes = [for a in var.attributes : a.name]

  # Every attribute used as a key of the table or of an index. DynamoDB rejects attribute
  # definitions that no key uses, and keys whose attribute is not defined.
  key_attributes = distinct([
    for k in concat(
      [var.hash_key, var.range_key],
      flatten([for i in var.global_secondary_indexes : [i.hash_key, i.range_key]]),
    ) : k if k != null
  ])
}

resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  hash_key                    = var.hash_key
  range_key                   = var.range_key
  table_class                 = var.table_class
  deletion_protection_enabled = var.deletion_protection
  stream_enabled              = var.stream_view_type != null
  stream_view_type            = var.stream_view_type

  dynamic "attribute" {
    for_each = var.attributes
    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  dynamic "global_secondary_index" {
    for_each = var.global_secondary_indexes
    content {
      name               = global_secondary_index.value.name
      hash_key           = global_secondary_index.value.hash_key
      range_key          = global_secondary_index.value.range_key
      projection_type    = global_secondary_index.value.projection_type
      non_key_attributes = global_secondary_index.value.non_key_attributes
      read_capacity      = local.provisioned ? global_secondary_index.value.read_capacity : null
      write_capacity     = local.provisioned ? global_secondary_index.value.write_capacity : null
    }
  }

  # Written out even when off, so turning TTL off is an explicit change rather than drift.
  ttl {
    enabled        = var.ttl_attribute != null
    attribute_name = var.ttl_attribute
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  # Always on: with no key given DynamoDB uses the AWS managed key (aws/dynamodb), which keeps
  # key usage visible in CloudTrail; a customer-managed key adds control over the key policy.
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags

  lifecycle {
    # These rules span several variables (Terraform >= 1.7 validations see one variable only),
    # and each would otherwise only fail when DynamoDB rejects the CreateTable call.
    precondition {
      condition     = contains(local.declared_attributes, var.hash_key)
      error_message = "hash_key \"${var.hash_key}\" must be declared in attributes with its type."
    }
    precondition {
      condition     = var.range_key == null || contains(local.declared_attributes, coalesce(var.range_key, "-"))
      error_message = "range_key must be declared in attributes with its type."
    }
    precondition {
      condition = alltrue([
        for i in var.global_secondary_indexes :
        contains(local.declared_attributes, i.hash_key) && (i.range_key == null || contains(local.declared_attributes, coalesce(i.range_key, "-")))
      ])
      error_message = "Every global secondary index hash_key and range_key must be declared in attributes."
    }
    precondition {
      condition     = length(setsubtract(local.declared_attributes, local.key_attributes)) == 0
      error_message = "attributes may only declare key attributes of the table or an index; not used as a key: ${join(", ", setsubtract(local.declared_attributes, local.key_attributes))}."
    }
    precondition {
      condition     = !local.provisioned || (var.read_capacity != null && var.write_capacity != null)
      error_message = "billing_mode PROVISIONED requires read_capacity and write_capacity."
    }
    precondition {
      condition     = !local.provisioned || alltrue([for i in var.global_secondary_indexes : i.read_capacity != null && i.write_capacity != null])
      error_message = "billing_mode PROVISIONED requires read_capacity and write_capacity on every global secondary index."
    }
  }
}

# Plan/apply against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn          = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
      stream_arn   = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000"
      stream_label = "2024-01-01T00:00:00.000"
    }
  }
}

variables {
  name      = "orders"
  hash_key  = "pk"
  range_key = "sk"
  attributes = [
    { name = "pk", type = "S" },
    { name = "sk", type = "S" },
  ]
}

run "defaults" {
  command = apply

  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST"
    error_message = "The table must default to on-demand billing."
  }
  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled
    error_message = "Point-in-time recovery must be on by default."
  }
  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled
    error_message = "Server-side encryption must always be on."
  }
  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "Deletion protection must be on by default."
  }
  assert {
    condition     = aws_dynamodb_table.this.table_class == "STANDARD"
    error_message = "The table class must default to STANDARD."
  }
  assert {
    condition     = !aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.stream_enabled == false
    error_message = "TTL and streams must be off by default."
  }
  assert {
    condition     = aws_dynamodb_table.this.hash_key == "pk" && aws_dynamodb_table.this.range_key == "sk"
    error_message = "The keys must be the ones given."
  }
  assert {
    condition     = output.dynamodb_table_name == "orders" && output.dynamodb_table_arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
    error_message = "The name and ARN outputs must come from the table."
  }
  assert {
    condition     = output.dynamodb_table_stream_arn == null
    error_message = "The stream ARN output must be null while streams are off."
  }
}

run "global_secondary_indexes" {
  command = plan

  variables {
    attributes = [
      { name = "pk", type = "S" },
      { name = "sk", type = "S" },
      { name = "status", type = "S" },
      { name = "amount", type = "N" },
    ]
    global_secondary_indexes = [
      { name = "by-status", hash_key = "status", range_key = "amount" },
      { name = "by-sk", hash_key = "sk", projection_type = "INCLUDE", non_key_attributes = ["total"] },
    ]
  }

  assert {
    condition     = length(aws_dynamodb_table.this.global_secondary_index) == 2
    error_message = "Both indexes must be created."
  }
  assert {
    condition     = one([for g in aws_dynamodb_table.this.global_secondary_index : g.projection_type if g.name == "by-status"]) == "ALL"
    error_message = "projection_type must default to ALL."
  }
  assert {
    condition     = one([for g in aws_dynamodb_table.this.global_secondary_index : g.non_key_attributes if g.name == "by-sk"]) == toset(["total"])
    error_message = "INCLUDE indexes must project the non-key attributes given."
  }
  assert {
    condition     = length(aws_dynamodb_table.this.attribute) == 4
    error_message = "Every declared attribute must be defined on the table."
  }
  assert {
    condition     = output.dynamodb_table_index_arns["by-status"] != null
    error_message = "Each index must have an ARN output."
  }
}

run "ttl" {
  command = plan

  variables {
    ttl_attribute = "expires_at"
  }

  assert {
    condition     = aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expires_at"
    error_message = "TTL must be enabled on the given attribute."
  }
}

run "streams" {
  command = apply

  variables {
    stream_view_type = "NEW_AND_OLD_IMAGES"
  }

  assert {
    condition     = aws_dynamodb_table.this.stream_enabled && aws_dynamodb_table.this.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "Streams must be enabled with the given view type."
  }
  assert {
    condition     = output.dynamodb_table_stream_arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000"
    error_message = "The stream ARN output must come from the table when streams are on."
  }
}

run "provisioned" {
  command = plan

  variables {
    billing_mode   = "PROVISIONED"
    read_capacity  = 5
    write_capacity = 2
    attributes = [
      { name = "pk", type = "S" },
      { name = "sk", type = "S" },
      { name = "gsi_pk", type = "N" },
    ]
    global_secondary_indexes = [
      { name = "by-gsi", hash_key = "gsi_pk", read_capacity = 3, write_capacity = 1 },
    ]
  }

  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PROVISIONED"
    error_message = "billing_mode must be PROVISIONED."
  }
  assert {
    condition     = aws_dynamodb_table.this.read_capacity == 5 && aws_dynamodb_table.this.write_capacity == 2
    error_message = "The table capacities must be the ones given."
  }
  assert {
    condition     = one([for g in aws_dynamodb_table.this.global_secondary_index : g.read_capacity]) == 3
    error_message = "The index capacities must be the ones given."
  }
}

run "kms_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The customer-managed key must encrypt the table."
  }
}

run "unprotected_infrequent_access" {
  command = plan

  variables {
    deletion_protection    = false
    point_in_time_recovery = false
    table_class            = "STANDARD_INFREQUENT_ACCESS"
    range_key              = null
    attributes             = [{ name = "pk", type = "S" }]
  }

  assert {
    condition     = !aws_dynamodb_table.this.deletion_protection_enabled && !aws_dynamodb_table.this.point_in_time_recovery[0].enabled
    error_message = "Deletion protection and PITR must follow their inputs when switched off."
  }
  assert {
    condition     = aws_dynamodb_table.this.table_class == "STANDARD_INFREQUENT_ACCESS" && aws_dynamodb_table.this.range_key == null
    error_message = "The table class and a hash-only key schema must be accepted."
  }
}

# One run per rule: each proves the rule rejects a bad value before AWS sees it.

run "reject_bad_name" {
  command = plan
  variables {
    name = "a b"
  }
  expect_failures = [var.name]
}

run "reject_empty_hash_key" {
  command = plan
  variables {
    hash_key = ""
  }
  expect_failures = [var.hash_key]
}

run "reject_empty_range_key" {
  command = plan
  variables {
    range_key = ""
  }
  expect_failures = [var.range_key]
}

run "reject_no_attributes" {
  command = plan
  variables {
    attributes = []
  }
  expect_failures = [var.attributes]
}

run "reject_attribute_type" {
  command = plan
  variables {
    attributes = [
      { name = "pk", type = "S" },
      { name = "sk", type = "BOOL" },
    ]
  }
  expect_failures = [var.attributes]
}

run "reject_duplicate_attribute" {
  command = plan
  variables {
    attributes = [
      { name = "pk", type = "S" },
      { name = "sk", type = "S" },
      { name = "sk", type = "N" },
    ]
  }
  expect_failures = [var.attributes]
}

run "reject_billing_mode" {
  command = plan
  variables {
    billing_mode = "ON_DEMAND"
  }
  expect_failures = [var.billing_mode]
}

run "reject_read_capacity" {
  command = plan
  variables {
    read_capacity = 0
  }
  expect_failures = [var.read_capacity]
}

run "reject_write_capacity" {
  command = plan
  variables {
    write_capacity = 1.5
  }
  expect_failures = [var.write_capacity]
}

run "reject_gsi_name" {
  command = plan
  variables {
    global_secondary_indexes = [{ name = "x", hash_key = "sk" }]
  }
  expect_failures = [var.global_secondary_indexes]
}

run "reject_duplicate_gsi_name" {
  command = plan
  variables {
    global_secondary_indexes = [
      { name = "by-sk", hash_key = "sk" },
      { name = "by-sk", hash_key = "sk", projection_type = "KEYS_ONLY" },
    ]
  }
  expect_failures = [var.global_secondary_indexes]
}

run "reject_gsi_projection_type" {
  command = plan
  variables {
    global_secondary_indexes = [{ name = "by-sk", hash_key = "sk", projection_type = "SOME" }]
  }
  expect_failures = [var.global_secondary_indexes]
}

run "reject_gsi_include_without_attributes" {
  command = plan
  variables {
    global_secondary_indexes = [{ name = "by-sk", hash_key = "sk", projection_type = "INCLUDE" }]
  }
  expect_failures = [var.global_secondary_indexes]
}

run "reject_ttl_attribute" {
  command = plan
  variables {
    ttl_attribute = ""
  }
  expect_failures = [var.ttl_attribute]
}

run "reject_kms_key_arn" {
  command = plan
  variables {
    kms_key_arn = "alias/my-key"
  }
  expect_failures = [var.kms_key_arn]
}

run "reject_stream_view_type" {
  command = plan
  variables {
    stream_view_type = "ALL"
  }
  expect_failures = [var.stream_view_type]
}

run "reject_table_class" {
  command = plan
  variables {
    table_class = "GLACIER"
  }
  expect_failures = [var.table_class]
}

run "reject_undeclared_hash_key" {
  command = plan
  variables {
    hash_key   = "id"
    attributes = [{ name = "sk", type = "S" }]
  }
  expect_failures = [aws_dynamodb_table.this]
}

run "reject_undeclared_range_key" {
  command = plan
  variables {
    range_key  = "created_at"
    attributes = [{ name = "pk", type = "S" }]
  }
  expect_failures = [aws_dynamodb_table.this]
}

run "reject_undeclared_gsi_key" {
  command = plan
  variables {
    global_secondary_indexes = [{ name = "by-status", hash_key = "status" }]
  }
  expect_failures = [aws_dynamodb_table.this]
}

run "reject_unused_attribute" {
  command = plan
  variables {
    attributes = [
      { name = "pk", type = "S" },
      { name = "sk", type = "S" },
      { name = "name", type = "S" },
    ]
  }
  expect_failures = [aws_dynamodb_table.this]
}

run "reject_provisioned_without_capacity" {
  command = plan
  variables {
    billing_mode  = "PROVISIONED"
    read_capacity = 5
  }
  expect_failures = [aws_dynamodb_table.this]
}

run "reject_provisioned_gsi_without_capacity" {
  command = plan
  variables {
    billing_mode             = "PROVISIONED"
    read_capacity            = 5
    write_capacity           = 5
    global_secondary_indexes = [{ name = "by-sk", hash_key = "sk" }]
  }
  expect_failures = [aws_dynamodb_table.this]
}

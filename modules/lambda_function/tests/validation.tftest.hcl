# One run per validation rule: each proves its rule rejects a wrong value before AWS sees it.

mock_provider "aws" {}

variables {
  function_name    = "orders"
  filename         = "build/orders.zip"
  source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  handler          = "handler.handler"
}

run "reject_function_name" {
  command = plan

  variables {
    function_name = "orders.v2"
  }

  expect_failures = [var.function_name]
}

run "reject_long_description" {
  command = plan

  variables {
    description = join("", [for i in range(257) : "x"])
  }

  expect_failures = [var.description]
}

run "reject_bad_package_bucket" {
  command = plan

  variables {
    package_s3 = { bucket = "Shop_Packages" }
  }

  expect_failures = [var.package_s3]
}

run "reject_bad_package_kms_key_arn" {
  command = plan

  variables {
    package_s3 = { bucket = "shop-dev-packages", kms_key_arn = "alias/packages" }
  }

  expect_failures = [var.package_s3]
}

run "reject_non_zip_filename" {
  command = plan

  variables {
    filename = "build/orders.tar.gz"
  }

  expect_failures = [var.filename]
}

run "reject_bad_source_code_hash" {
  command = plan

  variables {
    source_code_hash = "e3b0c44298fc1c149afbf4c8996fb924"
  }

  expect_failures = [var.source_code_hash]
}

run "reject_bad_deployed_code_sha256" {
  command = plan

  variables {
    deployed_code_sha256 = "e3b0c44298fc1c149afbf4c8996fb924"
  }

  expect_failures = [var.deployed_code_sha256]
}

run "reject_handler_without_function" {
  command = plan

  variables {
    handler = "handler"
  }

  expect_failures = [var.handler]
}

run "reject_unsupported_runtime" {
  command = plan

  variables {
    runtime = "python2.7"
  }

  expect_failures = [var.runtime]
}

run "reject_unknown_architecture" {
  command = plan

  variables {
    architecture = "amd64"
  }

  expect_failures = [var.architecture]
}

run "reject_memory_out_of_range" {
  command = plan

  variables {
    memory_size = 64
  }

  expect_failures = [var.memory_size]
}

run "reject_timeout_out_of_range" {
  command = plan

  variables {
    timeout = 901
  }

  expect_failures = [var.timeout]
}

run "reject_bad_environment_key" {
  command = plan

  variables {
    environment_variables = { "LOG-LEVEL" = "INFO" }
  }

  expect_failures = [var.environment_variables]
}

run "reject_reserved_environment_key" {
  command = plan

  variables {
    environment_variables = { AWS_REGION = "eu-west-1" }
  }

  expect_failures = [var.environment_variables]
}

run "reject_wildcard_action" {
  command = plan

  variables {
    policy_statements = [{ actions = ["dynamodb:*"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"] }]
  }

  expect_failures = [var.policy_statements]
}

run "reject_malformed_action" {
  command = plan

  variables {
    policy_statements = [{ actions = ["GetItem"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"] }]
  }

  expect_failures = [var.policy_statements]
}

run "reject_statement_without_resources" {
  command = plan

  variables {
    policy_statements = [{ actions = ["dynamodb:GetItem"], resources = [] }]
  }

  expect_failures = [var.policy_statements]
}

run "reject_bad_sid" {
  command = plan

  variables {
    policy_statements = [{ sid = "read-orders", actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"] }]
  }

  expect_failures = [var.policy_statements]
}

run "reject_duplicate_sid" {
  command = plan

  variables {
    policy_statements = [
      { sid = "Read", actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/a"] },
      { sid = "Read", actions = ["dynamodb:Query"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/b"] },
    ]
  }

  expect_failures = [var.policy_statements]
}

run "reject_unsupported_log_retention" {
  command = plan

  variables {
    log_retention_days = 0
  }

  expect_failures = [var.log_retention_days]
}

run "reject_bad_kms_key_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/orders"
  }

  expect_failures = [var.kms_key_arn]
}

run "reject_unknown_tracing_mode" {
  command = plan

  variables {
    tracing_mode = "Disabled"
  }

  expect_failures = [var.tracing_mode]
}

run "reject_negative_reserved_concurrency" {
  command = plan

  variables {
    reserved_concurrent_executions = -2
  }

  expect_failures = [var.reserved_concurrent_executions]
}

run "reject_vpc_config_without_security_groups" {
  command = plan

  variables {
    vpc_config = { subnet_ids = ["subnet-0a1b2c3d"], security_group_ids = [] }
  }

  expect_failures = [var.vpc_config]
}

run "reject_bad_dead_letter_target" {
  command = plan

  variables {
    dead_letter_target_arn = "arn:aws:s3:::orders-dlq"
  }

  expect_failures = [var.dead_letter_target_arn]
}

run "reject_bad_on_failure_destination" {
  command = plan

  variables {
    on_failure_destination_arn = "arn:aws:s3:::orders-failures"
  }

  expect_failures = [var.on_failure_destination_arn]
}

run "reject_numeric_alias_name" {
  command = plan

  variables {
    alias_name = "42"
  }

  expect_failures = [var.alias_name]
}

run "reject_bad_code_signing_config" {
  command = plan

  variables {
    code_signing_config_arn = "csc-0123456789abcdef0"
  }

  expect_failures = [var.code_signing_config_arn]
}

run "reject_bad_permissions_boundary" {
  command = plan

  variables {
    role_permissions_boundary_arn = "boundary"
  }

  expect_failures = [var.role_permissions_boundary_arn]
}

run "reject_too_many_async_retries" {
  command = plan

  variables {
    async_maximum_retry_attempts = 3
  }

  expect_failures = [var.async_maximum_retry_attempts]
}

run "reject_async_event_age_out_of_range" {
  command = plan

  variables {
    async_maximum_event_age_seconds = 30
  }

  expect_failures = [var.async_maximum_event_age_seconds]
}

# The defaults and every major option, applied against a mock AWS provider (no credentials).

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/orders-role"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders/invocations"
      version    = "7"
    }
  }

  mock_resource "aws_lambda_alias" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:orders:live"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders:live/invocations"
    }
  }
}

variables {
  function_name    = "orders"
  filename         = "build/orders.zip"
  source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  handler          = "handler.handler"
}

run "defaults" {
  command = apply

  assert {
    condition     = aws_lambda_function.this.runtime == "python3.12" && aws_lambda_function.this.architectures == tolist(["arm64"])
    error_message = "The default function runs python3.12 on arm64."
  }

  assert {
    condition     = aws_lambda_function.this.memory_size == 256 && aws_lambda_function.this.timeout == 10
    error_message = "The default function has 256 MB and a 10 s timeout."
  }

  assert {
    condition     = aws_lambda_function.this.publish && aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "Every apply publishes a version, and X-Ray tracing is Active by default."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == -1
    error_message = "No concurrency is reserved by default."
  }

  assert {
    condition     = aws_lambda_function.this.filename == "build/orders.zip" && aws_lambda_function.this.s3_bucket == null && length(aws_s3_object.package) == 0
    error_message = "By default the zip is sent with the create call; nothing is stored in S3."
  }

  assert {
    condition     = output.lambda_package_s3_uri == null
    error_message = "lambda_package_s3_uri is null when nothing is stored in S3."
  }

  assert {
    condition = (
      length(aws_lambda_function.this.vpc_config) == 0 &&
      length(aws_lambda_function.this.dead_letter_config) == 0 &&
      length(aws_lambda_function.this.environment) == 0 &&
      length(aws_lambda_function_event_invoke_config.this.destination_config) == 0
    )
    error_message = "No VPC, dead-letter queue, environment or failure destination by default."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.qualifier == "live" && aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 2 && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 21600
    error_message = "Asynchronous calls of the alias are retried twice within 6 hours by default."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/orders" && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "The function's log group is /aws/lambda/<name> with 30 days of retention."
  }

  assert {
    condition     = aws_iam_role.this.name == "orders-role" && jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"
    error_message = "The role is <function>-role and only Lambda can assume it."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["WriteOwnLogs", "WriteTraces"]
    error_message = "By default the role may write its own logs and traces, nothing more."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[0].Resource == ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders:*"]
    error_message = "Log writing is scoped to the function's own log group."
  }

  assert {
    condition     = aws_lambda_alias.this.name == "live" && aws_lambda_alias.this.function_version == "7"
    error_message = "The alias `live` points at the version this apply published."
  }

  assert {
    condition     = output.lambda_alias_invoke_arn == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders:live/invocations"
    error_message = "lambda_alias_invoke_arn is the alias's invoke ARN."
  }

  assert {
    condition     = output.lambda_function_version == "7" && output.lambda_alias_name == "live" && output.lambda_cloudwatch_log_group_name == "/aws/lambda/orders"
    error_message = "The outputs report the published version, the alias and the log group."
  }
}

run "package_stored_in_s3" {
  command = apply

  variables {
    package_s3 = { bucket = "shop-dev-packages" }
  }

  assert {
    condition     = aws_s3_object.package[0].bucket == "shop-dev-packages" && aws_s3_object.package[0].source == "build/orders.zip" && aws_s3_object.package[0].metadata == tomap({ "code-sha256" = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" })
    error_message = "The zip is stored in package_s3.bucket with its hash as code-sha256 metadata, so a new hash uploads it again."
  }

  assert {
    condition     = aws_s3_object.package[0].key == "orders/package.zip"
    error_message = "The object key is <function>/package.zip, the same for every build, so a code-only deploy can replace the object without a change of key in the state."
  }

  assert {
    condition     = aws_lambda_function.this.filename == null && aws_lambda_function.this.s3_bucket == "shop-dev-packages" && aws_lambda_function.this.s3_key == aws_s3_object.package[0].key
    error_message = "The function is created from the stored object, not from the local zip."
  }

  assert {
    condition     = output.lambda_package_s3_uri == "s3://shop-dev-packages/${aws_s3_object.package[0].key}"
    error_message = "lambda_package_s3_uri says where the code was stored."
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    error_message = "source_code_hash still drives code updates."
  }
}

run "package_stored_in_s3_with_a_customer_managed_key" {
  command = apply

  variables {
    package_s3 = {
      bucket      = "shop-dev-packages"
      kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }

  assert {
    condition     = aws_s3_object.package[0].server_side_encryption == "aws:kms" && aws_s3_object.package[0].kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "With package_s3.kms_key_arn the stored zip is encrypted with that key."
  }
}

run "policy_statements_are_rendered_as_given" {
  command = apply

  variables {
    policy_statements = [
      {
        sid       = "ReadOrders"
        actions   = ["dynamodb:GetItem", "dynamodb:Query"]
        resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"]
        conditions = [{
          test     = "ForAllValues:StringEquals"
          variable = "dynamodb:Attributes"
          values   = ["pk", "sk"]
        }]
      },
      {
        actions   = ["secretsmanager:GetSecretValue"]
        resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"]
      },
    ]
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["WriteOwnLogs", "WriteTraces", "ReadOrders", "Statement1"]
    error_message = "The caller's statements follow the module's own, unnamed ones get a generated Sid."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[2].Action == ["dynamodb:GetItem", "dynamodb:Query"]
    error_message = "Actions are passed through exactly."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[2].Condition["ForAllValues:StringEquals"]["dynamodb:Attributes"] == ["pk", "sk"]
    error_message = "Conditions become an IAM Condition block keyed by test and variable."
  }

  assert {
    condition     = !can(jsondecode(aws_iam_role_policy.this.policy).Statement[3].Condition)
    error_message = "A statement without conditions has no Condition block."
  }
}

run "vpc_config_adds_exactly_the_network_interface_actions" {
  command = apply

  variables {
    vpc_config = {
      subnet_ids         = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
      security_group_ids = ["sg-0123abcd"]
    }
  }

  assert {
    condition     = aws_lambda_function.this.vpc_config[0].subnet_ids == toset(["subnet-0a1b2c3d", "subnet-4e5f6a7b"]) && aws_lambda_function.this.vpc_config[0].security_group_ids == toset(["sg-0123abcd"])
    error_message = "The function runs in the given subnets and security groups."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["WriteOwnLogs", "WriteTraces", "DescribeNetwork", "CreateFunctionNetworkInterfaces", "ManageFunctionNetworkInterfaces"]
    error_message = "A VPC function's role gets the network-interface statements and nothing else."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[3].Resource == [
      "arn:aws:ec2:*:*:network-interface/*",
      "arn:aws:ec2:*:*:subnet/subnet-0a1b2c3d",
      "arn:aws:ec2:*:*:subnet/subnet-4e5f6a7b",
      "arn:aws:ec2:*:*:security-group/sg-0123abcd",
    ]
    error_message = "Network interfaces may be created only in the configured subnets and security groups."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : alltrue([for a in s.Action : !strcontains(a, "*")])])
    error_message = "No statement of the role uses a wildcard action."
  }
}

run "failure_destinations" {
  command = apply

  variables {
    dead_letter_target_arn     = "arn:aws:sqs:eu-west-1:123456789012:orders-dlq"
    on_failure_destination_arn = "arn:aws:sns:eu-west-1:123456789012:orders-failures"
  }

  assert {
    condition     = aws_lambda_function.this.dead_letter_config[0].target_arn == "arn:aws:sqs:eu-west-1:123456789012:orders-dlq"
    error_message = "The dead-letter queue is configured on the function."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.qualifier == "live" && aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination == "arn:aws:sns:eu-west-1:123456789012:orders-failures"
    error_message = "Failed asynchronous invocations of the alias go to the on-failure destination."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [s.Action, s.Resource] if startswith(s.Sid, "DeliverFailedEvents")] == [
      [["sqs:SendMessage"], ["arn:aws:sqs:eu-west-1:123456789012:orders-dlq"]],
      [["sns:Publish"], ["arn:aws:sns:eu-west-1:123456789012:orders-failures"]],
    ]
    error_message = "The role may deliver to exactly the two destinations, with the action each service needs."
  }
}

run "tuned_function" {
  command = apply

  variables {
    architecture                    = "x86_64"
    runtime                         = "python3.13"
    memory_size                     = 1024
    timeout                         = 60
    reserved_concurrent_executions  = 5
    tracing_mode                    = "PassThrough"
    alias_name                      = "current"
    log_retention_days              = 365
    kms_key_arn                     = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    code_signing_config_arn         = "arn:aws:lambda:eu-west-1:123456789012:code-signing-config:csc-0123456789abcdef0"
    role_permissions_boundary_arn   = "arn:aws:iam::123456789012:policy/boundary"
    environment_variables           = { LOG_LEVEL = "DEBUG", TABLE_ORDERS = "orders" }
    async_maximum_retry_attempts    = 0
    async_maximum_event_age_seconds = 3600
    tags                            = { team = "payments" }
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0 && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 3600
    error_message = "The asynchronous retry policy is passed through."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 5
    error_message = "Reserved concurrency is passed through."
  }

  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["x86_64"]) && aws_lambda_function.this.runtime == "python3.13" && aws_lambda_function.this.memory_size == 1024 && aws_lambda_function.this.timeout == 60
    error_message = "Architecture, runtime, memory and timeout are passed through."
  }

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "PassThrough" && aws_lambda_alias.this.name == "current"
    error_message = "Tracing mode and alias name are passed through."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables == tomap({ LOG_LEVEL = "DEBUG", TABLE_ORDERS = "orders" })
    error_message = "Environment variables are set on the function."
  }

  assert {
    condition     = aws_lambda_function.this.kms_key_arn == var.kms_key_arn && aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "The KMS key encrypts both the environment and the logs."
  }

  assert {
    condition     = contains([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid], "DecryptEnvironment")
    error_message = "With a KMS key the role may decrypt the environment."
  }

  assert {
    condition     = aws_lambda_function.this.code_signing_config_arn == var.code_signing_config_arn && aws_iam_role.this.permissions_boundary == var.role_permissions_boundary_arn
    error_message = "Code signing and the permissions boundary are passed through."
  }

  assert {
    condition     = aws_lambda_function.this.tags["team"] == "payments" && aws_cloudwatch_log_group.this.tags["team"] == "payments" && aws_iam_role.this.tags["team"] == "payments"
    error_message = "Tags reach every resource."
  }
}

run "long_function_name_gets_a_role_name_prefix" {
  command = plan

  variables {
    function_name = "a-function-name-that-is-long-enough-to-overflow-the-role-limit"
  }

  assert {
    condition     = aws_iam_role.this.name_prefix == "a-function-name-that-is-long-enough-t"
    error_message = "A role name over 64 characters falls back to a unique name prefix."
  }
}

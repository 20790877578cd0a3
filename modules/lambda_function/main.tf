# A Lambda function with its own role, log group and a `live` alias on the published version.
# The role holds exactly: the caller's statements, writing to its own log group, X-Ray, and -
# only when configured - the VPC network-interface actions and the failure destinations.

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition

  # IAM role names are limited to 64 characters; long function names get a unique prefix.
  role_name_fits = length(var.function_name) <= 59

  # The service of a destination ARN decides the action that delivers to it.
  delivery_actions = {
    sqs    = "sqs:SendMessage"
    sns    = "sns:Publish"
    lambda = "lambda:InvokeFunction"
    events = "events:PutEvents"
  }
  failure_targets = compact([var.dead_letter_target_arn, var.on_failure_destination_arn])

  module_statements = concat(
    [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
      },
      {
        # X-Ray has no resource-level permissions. PassThrough still traces requests an
        # upstream service sampled, so both modes need it.
        Sid      = "WriteTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ],
    var.vpc_config == null ? [] : [
      {
        # Describe calls have no resource-level permissions.
        Sid      = "DescribeNetwork"
        Effect   = "Allow"
        Action   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
        Resource = ["*"]
      },
      {
        # Lambda creates its network interfaces only in the configured subnets and groups.
        Sid    = "CreateFunctionNetworkInterfaces"
        Effect = "Allow"
        Action = ["ec2:CreateNetworkInterface"]
        Resource = concat(
          ["arn:${local.partition}:ec2:*:*:network-interface/*"],
          [for id in var.vpc_config.subnet_ids : "arn:${local.partition}:ec2:*:*:subnet/${id}"],
          [for id in var.vpc_config.security_group_ids : "arn:${local.partition}:ec2:*:*:security-group/${id}"],
        )
      },
      {
        Sid      = "ManageFunctionNetworkInterfaces"
        Effect   = "Allow"
        Action   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        Resource = ["arn:${local.partition}:ec2:*:*:network-interface/*"]
      },
    ],
    [
      for i, arn in local.failure_targets : {
        Sid      = "DeliverFailedEvents${i}"
        Effect   = "Allow"
        Action   = [local.delivery_actions[split(":", arn)[2]]]
        Resource = [arn]
      }
    ],
    var.kms_key_arn == null ? [] : [
      {
        # Lambda decrypts the environment variables with the function's role at start-up.
        Sid      = "DecryptEnvironment"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [var.kms_key_arn]
      },
    ],
  )

  caller_statements = [
    for i, s in var.policy_statements : merge(
      {
        Sid      = coalesce(s.sid, "Statement${i}")
        Effect   = "Allow"
        Action   = s.actions
        Resource = s.resources
      },
      length(s.conditions) == 0 ? {} : {
        Condition = {
          for test in distinct([for c in s.conditions : c.test]) : test => {
            for c in s.conditions : c.variable => c.values if c.test == test
          }
        }
      },
    )
  ]
}

resource "aws_cloudwatch_log_group" "this" {
  # Retention is an input (log_retention_days), 30 days by default: function logs are for
  # debugging, and the audit trail of who changed what lives in CloudTrail, not here.
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days input (30 days by default for debugging logs); set 365 or more where a policy demands a year.
  #checkov:skip=CKV_AWS_158:Encrypted at rest with an AWS owned key by default; pass kms_key_arn for a customer managed key.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  name                 = local.role_name_fits ? "${var.function_name}-role" : null
  name_prefix          = local.role_name_fits ? null : substr(var.function_name, 0, 37)
  description          = "Execution role of the Lambda function ${var.function_name}."
  permissions_boundary = var.role_permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name = "function-access"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.module_statements, local.caller_statements)
  })
}

# With package_s3, the zip goes to S3 first, under one stable key per function, and the
# function reads it from there. The key never changes, so a code-only deploy (`deployer
# deploy-code`, which uploads to the same key with the same metadata) leaves nothing for the
# next plan: the provider refreshes `metadata` from the object, and a new build (a new
# code-sha256) uploads the object again and then updates the function's code.
resource "aws_s3_object" "package" {
  #checkov:skip=CKV_AWS_186:The object takes the bucket's default encryption; set package_s3.kms_key_arn for a customer managed key.
  count = var.package_s3 == null ? 0 : 1

  bucket                 = var.package_s3.bucket
  key                    = "${var.function_name}/package.zip"
  source                 = var.filename
  metadata               = { "code-sha256" = var.source_code_hash }
  server_side_encryption = var.package_s3.kms_key_arn == null ? null : "aws:kms"
  kms_key_id             = var.package_s3.kms_key_arn
  tags                   = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:VPC placement is the vpc_config input; functions that only call AWS APIs need no VPC (and would need NAT or endpoints to reach them).
  #checkov:skip=CKV_AWS_116:A dead-letter queue is the dead_letter_target_arn input (or on_failure_destination_arn); functions invoked synchronously, like API handlers, have no asynchronous events to dead-letter.
  #checkov:skip=CKV_AWS_173:Environment variables are encrypted at rest with an AWS owned key by default; pass kms_key_arn for a customer managed key. They hold plain settings, never secrets.
  #checkov:skip=CKV_AWS_272:Code signing is the code_signing_config_arn input; packages are built reproducibly by the deployer and deployed from CI, not signed by default.
  function_name = var.function_name
  description   = var.description
  role          = aws_iam_role.this.arn
  filename      = var.package_s3 == null ? var.filename : null
  s3_bucket     = var.package_s3 == null ? null : aws_s3_object.package[0].bucket
  s3_key        = var.package_s3 == null ? null : aws_s3_object.package[0].key
  # The AWS provider keeps source_code_hash in the state only (it never reads it back from
  # Lambda), so after a code-only deploy the state holds the previous hash. When the code
  # Lambda runs is already this build, leaving it unset keeps the state's value: no change.
  source_code_hash               = var.deployed_code_sha256 == var.source_code_hash ? null : var.source_code_hash
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  publish                        = true
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  code_signing_config_arn        = var.code_signing_config_arn

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [var.environment_variables] : []
    content {
      variables = environment.value
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [var.dead_letter_target_arn]
    content {
      target_arn = dead_letter_config.value
    }
  }

  tags = merge(var.tags, var.function_tags)

  # The log group must exist first, or Lambda creates one without retention or key; the role's
  # policy must be in place first, or CreateFunction rejects a VPC config for missing ENI rights.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

resource "aws_lambda_alias" "this" {
  name             = var.alias_name
  description      = "The version callers invoke; move it to roll back."
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

# Always present, so its count never waits on a destination ARN that is only known after
# apply (a queue created in the same run); it states the retry policy of asynchronous calls.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  qualifier                    = aws_lambda_alias.this.name
  maximum_retry_attempts       = var.async_maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_maximum_event_age_seconds

  dynamic "destination_config" {
    for_each = var.on_failure_destination_arn == null ? [] : [var.on_failure_destination_arn]
    content {
      on_failure {
        destination = destination_config.value
      }
    }
  }
}

# One Lambda function per entry of the build manifest. Its IAM policy and environment come
# from the access it declares in function.toml, nothing more.

locals {
  dynamodb_read_actions = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
  ]
  dynamodb_write_actions = [
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
  ]

  # Per function: its known tables by access level (unknown ones are reported in main.tf).
  function_tables = {
    for fn, f in var.functions : fn => {
      for level in ["read", "read-write"] : level => sort([
        for t, l in f.access.tables : t if l == level && contains(keys(var.tables), t)
      ])
    }
  }
  function_uses_database = {
    for fn, f in var.functions : fn => f.access.database && local.database_enabled
  }
  # The owner (the migration function) logs in as the master user and writes the application
  # role's secret; every other function reads only the application role's secret.
  function_database_owner = {
    for fn, f in var.functions : fn => local.function_uses_database[fn] && f.access.database_role == "owner"
  }
  database_master_secret_arn = one(module.database[*].db_instance_master_user_secret_arn)
  database_app_secret_arn    = one(module.database[*].db_app_user_secret_arn)

  function_policy_statements = {
    for fn, tables in local.function_tables : fn => concat(
      length(tables["read"]) == 0 ? [] : [{
        sid       = "DynamoDBRead"
        actions   = local.dynamodb_read_actions
        resources = flatten([for t in tables["read"] : [module.table[t].dynamodb_table_arn, "${module.table[t].dynamodb_table_arn}/index/*"]])
      }],
      length(tables["read-write"]) == 0 ? [] : [{
        sid       = "DynamoDBReadWrite"
        actions   = concat(local.dynamodb_read_actions, local.dynamodb_write_actions)
        resources = flatten([for t in tables["read-write"] : [module.table[t].dynamodb_table_arn, "${module.table[t].dynamodb_table_arn}/index/*"]])
      }],
      local.function_uses_database[fn] && !local.function_database_owner[fn] ? [{
        sid       = "DatabaseSecret"
        actions   = ["secretsmanager:GetSecretValue"]
        resources = [local.database_app_secret_arn]
      }] : [],
      local.function_database_owner[fn] ? [
        {
          sid       = "DatabaseMasterSecret"
          actions   = ["secretsmanager:GetSecretValue"]
          resources = [local.database_master_secret_arn]
        },
        {
          sid       = "DatabaseAppRoleSecret"
          actions   = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]
          resources = [local.database_app_secret_arn]
        },
      ] : [],
    )
  }

  # A REQUEST authorizer's function learns what to check from its environment; API Gateway
  # enforces scopes only for JWT authorizers, so this function enforces its routes' scopes.
  authorizer_environment = {
    for name, a in var.authorizers : a.function => merge(
      { for k, v in {
        JWT_ISSUER   = a.issuer
        JWT_AUDIENCE = length(a.audience) > 0 ? join(",", a.audience) : null
        JWKS_URL     = a.jwks_url
        TOKEN_USE    = a.token_use
      } : k => v if v != null },
      length(local.authorizer_scopes[name]) > 0 ? { REQUIRED_SCOPES = jsonencode(local.authorizer_scopes[name]) } : {},
    ) if a.type == "request" && a.function != null
  }

  # TABLE_<LOGICAL_NAME> for each table, DB_* when the function uses the database (DB_HOST is
  # the proxy when there is one). These are names and addresses only: the passwords stay in
  # Secrets Manager.
  function_environment = {
    for fn, f in var.functions : fn => merge(
      f.environment,
      lookup(local.authorizer_environment, fn, {}),
      {
        for t in concat(local.function_tables[fn]["read"], local.function_tables[fn]["read-write"]) :
        "TABLE_${upper(replace(t, "-", "_"))}" => module.table[t].dynamodb_table_name
      },
      local.function_uses_database[fn] ? {
        DB_SECRET_ARN = local.function_database_owner[fn] ? local.database_master_secret_arn : local.database_app_secret_arn
        DB_HOST       = one(module.database[*].db_connect_address)
        DB_PORT       = tostring(one(module.database[*].db_instance_port))
        DB_NAME       = one(module.database[*].db_instance_name)
      } : {},
      local.function_database_owner[fn] ? {
        DB_APP_USER       = one(module.database[*].db_app_username)
        DB_APP_SECRET_ARN = local.database_app_secret_arn
      } : {},
    )
  }
}

# The code each function runs now, read at plan time: a function whose code is already this
# build (`deployer deploy-code` shipped it) is no change to it (modules/lambda_function).
# Listed first, so a function that does not exist yet is never looked up.
data "aws_lambda_functions" "deployed" {}

data "aws_lambda_function" "deployed" {
  for_each = toset([
    for fn in keys(var.functions) : fn
    if contains(data.aws_lambda_functions.deployed.function_names, "${local.name_prefix}-${fn}")
  ])

  function_name = "${local.name_prefix}-${each.key}"
  qualifier     = "$LATEST"
}

module "function" {
  source   = "../modules/lambda_function"
  for_each = var.functions

  function_name    = "${local.name_prefix}-${each.key}"
  description      = each.value.description
  filename         = "${path.root}/${each.value.zip_path}"
  source_code_hash = each.value.source_code_hash
  # null for a new function
  deployed_code_sha256 = try(data.aws_lambda_function.deployed[each.key].code_sha256, null)
  handler              = each.value.handler
  runtime              = each.value.runtime
  architecture         = each.value.architecture
  memory_size          = each.value.memory
  timeout              = each.value.timeout

  # Through the encryption configuration, so no zip is stored before the bucket encrypts it.
  package_s3 = local.packages_in_s3 ? { bucket = aws_s3_bucket_server_side_encryption_configuration.packages[0].bucket } : null

  environment_variables = local.function_environment[each.key]
  policy_statements     = local.function_policy_statements[each.key]
  vpc_config = local.function_uses_database[each.key] ? {
    subnet_ids         = local.subnet_ids
    security_group_ids = aws_security_group.lambda[*].id
  } : null

  log_retention_days = var.log_retention_days
  tracing_mode       = var.tracing ? "Active" : "PassThrough"

  tags = { function = each.key }
  # What `deployer deploy-code` compares to tell a code-only change from one that needs an
  # apply: the digest of the function.toml settings this apply deployed.
  function_tags = each.value.settings_sha256 == null ? {} : { "deployer:settings-sha256" = each.value.settings_sha256 }
}

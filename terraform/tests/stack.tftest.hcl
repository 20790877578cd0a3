# The root stack's wiring, applied against a mock AWS provider (no credentials): functions
# from the generated `functions` map, their routes and permissions, IAM scoped to the
# tables and secret they declare, and every cross-variable rule biting.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_availability_zones" {
    defaults = {
      names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/mock"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/mock"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mock"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock/invocations"
      version    = "1"
    }
  }

  mock_resource "aws_lambda_alias" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mock:live"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock:live/invocations"
    }
  }

  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "a1b2c3"
      api_endpoint  = "https://a1b2c3.execute-api.eu-west-1.amazonaws.com"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3"
    }
  }

  mock_resource "aws_apigatewayv2_stage" {
    defaults = {
      invoke_url = "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/"
    }
  }

  mock_resource "aws_db_instance" {
    defaults = {
      address  = "deployer-test.abc.eu-west-1.rds.amazonaws.com"
      endpoint = "deployer-test.abc.eu-west-1.rds.amazonaws.com:5432"
      port     = 5432
      master_user_secret = [{
        secret_arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1"
        kms_key_id    = "arn:aws:kms:eu-west-1:123456789012:key/mock"
        secret_status = "active"
      }]
    }
  }

  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:deployer-test-app-login-1"
    }
  }

  mock_resource "aws_db_proxy" {
    defaults = {
      arn      = "arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-1"
      endpoint = "deployer-test.proxy-abc.eu-west-1.rds.amazonaws.com"
    }
  }

  # RDS names a proxy's default target group "default" (a random mock name may not start
  # with a letter, which aws_db_proxy_target refuses).
  mock_resource "aws_db_proxy_default_target_group" {
    defaults = {
      name = "default"
    }
  }

  mock_resource "aws_amplify_app" {
    defaults = {
      id             = "d1a2b3c4"
      default_domain = "d1a2b3c4.amplifyapp.com"
      arn            = "arn:aws:amplify:eu-west-1:123456789012:apps/d1a2b3c4"
    }
  }

  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0123456789abcdef0"
    }
  }

  mock_resource "aws_vpc" {
    defaults = {
      id = "vpc-0123456789abcdef0"
    }
  }
}

# Subnet IDs must differ (RDS needs two distinct subnets) and look like subnet IDs.
override_resource {
  target = aws_subnet.private[0]
  values = {
    id = "subnet-0aaaaaaaaaaaaaaa0"
  }
}

override_resource {
  target = aws_subnet.private[1]
  values = {
    id = "subnet-0bbbbbbbbbbbbbbb0"
  }
}

# The tables' ARNs differ, so a policy naming the wrong table cannot pass.
override_module {
  target = module.table["items"]
  outputs = {
    dynamodb_table_name = "deployer-test-items"
    dynamodb_table_arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/deployer-test-items"
  }
}

override_module {
  target = module.table["audit"]
  outputs = {
    dynamodb_table_name = "deployer-test-audit"
    dynamodb_table_arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/deployer-test-audit"
  }
}

variables {
  app         = "deployer"
  environment = "test"

  tables = {
    items = {
      hash_key            = "id"
      attributes          = [{ name = "id", type = "S" }]
      deletion_protection = false
    }
    audit = {
      hash_key            = "pk"
      attributes          = [{ name = "pk", type = "S" }]
      deletion_protection = false
    }
  }

  authorizers = {
    jwt = {
      type     = "jwt"
      issuer   = "https://login.example.com/"
      audience = ["https://api.example.com"]
    }
  }
  default_authorizer = "jwt"

  # What the deployer generates from the build manifest: two functions.
  functions = {
    items = {
      zip_path         = "../.deployer/build/items.zip"
      source_code_hash = "XzxPhYDTkuQi58L2gCZ0rCeWbJjZXDlpbkskkBaOVIg="
      size             = 1234
      handler          = "handler.handler"
      runtime          = "python3.12"
      architecture     = "arm64"
      memory           = 256
      timeout          = 10
      description      = "Items API"
      environment      = { LOG_LEVEL = "INFO" }
      routes = [
        { route_key = "POST /items", auth = "default", scopes = ["items:write"] },
        { route_key = "GET /items/{id}", auth = "default", scopes = [] },
      ]
      access = { tables = { items = "read-write" }, database = false }
    }
    health = {
      zip_path         = "../.deployer/build/health.zip"
      source_code_hash = "YkhOIqalreG6JcsbfFXEuIYd4kyt2rc8lAl0JzQAiyY="
      handler          = "handler.handler"
      runtime          = "python3.12"
      architecture     = "x86_64"
      memory           = 128
      timeout          = 3
      description      = "Health check"
      environment      = {}
      routes           = [{ route_key = "GET /health", auth = "none", scopes = [] }]
      access           = { tables = { audit = "read" }, database = false }
    }
  }
}

run "two_functions_two_lambdas_their_routes_and_scoped_policies" {
  assert {
    condition     = length(module.function) == 2
    error_message = "Two functions in the manifest must give two Lambda functions."
  }

  assert {
    condition     = jsonencode(output.function_names) == jsonencode({ health = "deployer-test-health", items = "deployer-test-items" })
    error_message = "Function names must be <app>-<environment>-<name>."
  }

  assert {
    condition     = toset(keys(local.api_routes)) == toset(["POST /items", "GET /items/{id}", "GET /health"])
    error_message = "The API must have exactly the routes the functions declare."
  }

  assert {
    condition     = toset(keys(module.api.api_route_ids)) == toset(["POST /items", "GET /items/{id}", "GET /health"])
    error_message = "The http_api module must create one route per declared route."
  }

  assert {
    condition = alltrue([
      local.api_routes["POST /items"].function_name == "deployer-test-items",
      local.api_routes["POST /items"].function_qualifier == "live",
      local.api_routes["POST /items"].authorizer == "jwt",
      local.api_routes["POST /items"].public == false,
      jsonencode(local.api_routes["POST /items"].authorization_scopes) == jsonencode(["items:write"]),
      local.api_routes["GET /health"].function_name == "deployer-test-health",
      local.api_routes["GET /health"].public == true,
      local.api_routes["GET /health"].authorizer == null,
    ])
    error_message = "Routes must invoke their own function's alias (the permission's qualifier), with the default authorizer or none."
  }

  assert {
    condition = jsonencode(local.function_policy_statements["items"]) == jsonencode([{
      sid = "DynamoDBReadWrite"
      actions = [
        "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
        "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan",
        "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
      ]
      resources = [
        "arn:aws:dynamodb:eu-west-1:123456789012:table/deployer-test-items",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/deployer-test-items/index/*",
      ]
    }])
    error_message = "items must get read-write on the items table and its indexes only."
  }

  assert {
    condition = jsonencode(local.function_policy_statements["health"]) == jsonencode([{
      sid = "DynamoDBRead"
      actions = [
        "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
        "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan",
      ]
      resources = [
        "arn:aws:dynamodb:eu-west-1:123456789012:table/deployer-test-audit",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/deployer-test-audit/index/*",
      ]
    }])
    error_message = "health must get read-only on the audit table and its indexes only."
  }

  assert {
    condition = alltrue(flatten([
      for statements in values(local.function_policy_statements) : [
        for s in statements : [for a in s.actions : !strcontains(a, "*")]
      ]
    ]))
    error_message = "No policy statement may use a wildcard action."
  }

  assert {
    condition = alltrue([
      jsonencode(local.function_environment["items"]) == jsonencode({ LOG_LEVEL = "INFO", TABLE_ITEMS = "deployer-test-items" }),
      jsonencode(local.function_environment["health"]) == jsonencode({ TABLE_AUDIT = "deployer-test-audit" }),
    ])
    error_message = "Each function must get its own environment plus TABLE_<NAME> of the tables it uses, nothing else."
  }

  assert {
    condition     = jsonencode(output.table_names) == jsonencode({ audit = "deployer-test-audit", items = "deployer-test-items" })
    error_message = "table_names must map logical names to table names."
  }

  assert {
    condition = alltrue([
      output.api_url == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/",
      output.frontend_url == null,
      output.database_endpoint == null,
      output.database_secret_arn == null,
      length(aws_vpc.this) == 0,
      length(aws_security_group.lambda) == 0,
      length(module.database) == 0,
      length(module.frontend) == 0,
    ])
    error_message = "Without database and frontend, no network, database or Amplify app may be created."
  }

  assert {
    condition = alltrue([
      length(aws_s3_bucket.packages) == 1,
      startswith(aws_s3_bucket.packages[0].bucket_prefix, "deployer-test-packages-"),
      aws_s3_bucket_public_access_block.packages[0].restrict_public_buckets,
      one(aws_s3_bucket_server_side_encryption_configuration.packages[0].rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms",
      strcontains(aws_s3_bucket_policy.packages[0].policy, "aws:SecureTransport"),
    ])
    error_message = "By default the zips go to a private, encrypted, TLS-only packages bucket of the environment."
  }

  assert {
    condition = alltrue([
      for name, fn in module.function :
      startswith(fn.lambda_package_s3_uri, "s3://${aws_s3_bucket.packages[0].id}/deployer-test-${name}/")
    ])
    error_message = "Every function is created from its zip in the packages bucket."
  }
}

run "packages_sent_with_the_create_call_when_in_s3_is_off" {
  variables {
    packages = { in_s3 = false }
  }

  assert {
    condition     = length(aws_s3_bucket.packages) == 0 && length(aws_s3_bucket_policy.packages) == 0 && alltrue([for fn in module.function : fn.lambda_package_s3_uri == null])
    error_message = "With packages.in_s3 = false no bucket is created and every zip goes with its create call."
  }
}

run "an_emulator_over_http_gets_no_tls_only_policy" {
  variables {
    packages = { tls_only = false }
  }

  assert {
    condition     = length(aws_s3_bucket.packages) == 1 && length(aws_s3_bucket_policy.packages) == 0
    error_message = "packages.tls_only = false keeps the bucket and leaves the TLS-only policy out."
  }
}

run "database_access_adds_vpc_secret_and_db_settings" {
  variables {
    database = { enabled = true, deletion_protection = false, skip_final_snapshot = true }
    functions = {
      report = {
        zip_path         = "../.deployer/build/report.zip"
        source_code_hash = "hF6RgxMZ6JxNZWvbgMJ4rAmnIw1h5d/S4bH7tDasiRc="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 256
        timeout          = 10
        routes           = [{ route_key = "GET /reports", auth = "default" }]
        access           = { tables = { items = "read" }, database = true }
      }
      health = {
        zip_path         = "../.deployer/build/health.zip"
        source_code_hash = "YkhOIqalreG6JcsbfFXEuIYd4kyt2rc8lAl0JzQAiyY="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 128
        timeout          = 3
        routes           = [{ route_key = "GET /health", auth = "none" }]
      }
      migrate = {
        zip_path         = "../.deployer/build/migrate.zip"
        source_code_hash = "O8gBoz6oPfQU4a65YqUkEoNb6Z2yhmjsJd5z/dRzOAQ="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 256
        timeout          = 300
        access           = { database = true, database_role = "owner" }
      }
    }
  }

  assert {
    condition = jsonencode([for s in local.function_policy_statements["report"] : s if startswith(s.sid, "Database")]) == jsonencode([{
      sid       = "DatabaseSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:deployer-test-app-login-1"]
    }])
    error_message = "A database user must read the application role's secret, and that secret only (never the master's)."
  }

  assert {
    condition = jsonencode(local.function_policy_statements["migrate"]) == jsonencode([
      {
        sid       = "DatabaseMasterSecret"
        actions   = ["secretsmanager:GetSecretValue"]
        resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1"]
      },
      {
        sid       = "DatabaseAppRoleSecret"
        actions   = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]
        resources = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:deployer-test-app-login-1"]
      },
    ])
    error_message = "The owner reads the master secret and reads and writes the application role's, nothing else."
  }

  assert {
    condition = alltrue([
      local.function_environment["migrate"]["DB_SECRET_ARN"] == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1",
      local.function_environment["migrate"]["DB_APP_USER"] == "app",
      local.function_environment["migrate"]["DB_APP_SECRET_ARN"] == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:deployer-test-app-login-1",
      !contains(keys(local.function_environment["report"]), "DB_APP_SECRET_ARN"),
    ])
    error_message = "The owner logs in as the master user and learns the application role it maintains; others do not."
  }

  assert {
    condition = alltrue([
      local.function_environment["report"]["DB_SECRET_ARN"] == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:deployer-test-app-login-1",
      local.function_environment["report"]["DB_HOST"] == "deployer-test.abc.eu-west-1.rds.amazonaws.com",
      local.function_environment["report"]["DB_PORT"] == "5432",
      local.function_environment["report"]["DB_NAME"] == "app",
      local.function_environment["report"]["TABLE_ITEMS"] == "deployer-test-items",
      !contains(keys(local.function_environment["health"]), "DB_HOST"),
    ])
    error_message = "Database users get DB_SECRET_ARN, DB_HOST, DB_PORT and DB_NAME; others do not."
  }

  assert {
    condition     = length(local.function_policy_statements["health"]) == 0
    error_message = "A function that declares no access gets no statement."
  }

  assert {
    condition = alltrue([
      local.function_uses_database["report"],
      !local.function_uses_database["health"],
      length(aws_vpc.this) == 1,
      length(aws_subnet.private) == 2,
      aws_subnet.private[0].availability_zone != aws_subnet.private[1].availability_zone,
      length(aws_security_group.lambda) == 1,
      aws_vpc_security_group_egress_rule.lambda_to_database[0].from_port == 5432,
      length(aws_vpc_endpoint.secretsmanager) == 1,
      length(aws_vpc_endpoint.dynamodb) == 1,
      length(aws_flow_log.this) == 1,
      aws_cloudwatch_log_group.flow_logs[0].retention_in_days == 30,
    ])
    error_message = "The database needs a VPC with two private subnets in two AZs, a Lambda security group and endpoints."
  }

  assert {
    condition = alltrue([
      output.database_endpoint == "deployer-test.abc.eu-west-1.rds.amazonaws.com:5432",
      output.database_secret_arn == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1",
      output.database_app_secret_arn == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:deployer-test-app-login-1",
      output.database_proxy_endpoint == null,
      length(module.database[0].db_proxy_arn == null ? [] : [1]) == 0,
    ])
    error_message = "The database endpoint and both secret ARNs must be outputs; no proxy by default."
  }
}

run "a_proxy_stands_between_the_functions_and_the_database" {
  variables {
    database = { enabled = true, proxy = true }
    functions = {
      report = {
        zip_path         = "../.deployer/build/report.zip"
        source_code_hash = "hF6RgxMZ6JxNZWvbgMJ4rAmnIw1h5d/S4bH7tDasiRc="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 256
        timeout          = 10
        access           = { database = true }
      }
    }
  }

  override_data {
    target = module.database[0].data.aws_iam_policy_document.proxy_assume[0]
    values = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  override_data {
    target = module.database[0].data.aws_iam_policy_document.proxy[0]
    values = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  override_resource {
    target = module.database[0].aws_security_group.proxy[0]
    values = {
      id = "sg-0ccccccccccccccc1"
    }
  }

  assert {
    condition     = local.function_environment["report"]["DB_HOST"] == "deployer-test.proxy-abc.eu-west-1.rds.amazonaws.com"
    error_message = "With a proxy, the functions' DB_HOST is the proxy's endpoint."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.lambda_to_database[0].referenced_security_group_id == "sg-0ccccccccccccccc1"
    error_message = "With a proxy, the functions' only database egress is to the proxy."
  }

  assert {
    condition     = output.database_proxy_endpoint == "deployer-test.proxy-abc.eu-west-1.rds.amazonaws.com"
    error_message = "The proxy's endpoint must be an output."
  }
}

run "a_platform_network_is_used_as_given" {
  variables {
    database = { enabled = true }
    network = {
      vpc_id     = "vpc-0123456789abcdef1"
      subnet_ids = ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]
    }
  }

  assert {
    condition = alltrue([
      length(aws_vpc.this) == 0,
      length(aws_subnet.private) == 0,
      length(aws_vpc_endpoint.secretsmanager) == 0,
      aws_security_group.lambda[0].vpc_id == "vpc-0123456789abcdef1",
      jsonencode(local.subnet_ids) == jsonencode(["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]),
    ])
    error_message = "A given VPC and subnets must be used, none created."
  }
}

run "request_authorizer_runs_the_named_function_and_enforces_scopes" {
  variables {
    authorizers = {
      jwt = {
        type     = "jwt"
        issuer   = "https://login.example.com/"
        audience = ["https://api.example.com"]
      }
      lambda = {
        type     = "request"
        function = "health"
        issuer   = "https://login.example.com/"
        audience = ["https://api.example.com", "web"]
        ttl      = 60
      }
    }
    default_authorizer = "lambda"
  }

  assert {
    condition = alltrue([
      local.api_authorizers["lambda"].type == "REQUEST",
      local.api_authorizers["lambda"].function_name == "deployer-test-health",
      local.api_authorizers["lambda"].function_qualifier == "live",
      local.api_authorizers["lambda"].result_ttl_seconds == 60,
      # cached answers are per token AND route, so a token allowed on one route is never
      # reused for a route that needs a scope it lacks
      contains(local.api_authorizers["lambda"].identity_sources, "$context.routeKey"),
      contains(local.api_authorizers["lambda"].identity_sources, "$request.header.Authorization"),
      !contains(local.api_authorizers["jwt"].identity_sources, "$context.routeKey"),
      local.api_authorizers["jwt"].type == "JWT",
      local.api_routes["POST /items"].authorizer == "lambda",
      length(local.api_routes["POST /items"].authorization_scopes) == 0,
    ])
    error_message = "Routes with auth = default must use the REQUEST authorizer, which API Gateway gives no scopes to check."
  }

  assert {
    condition = alltrue([
      local.function_environment["health"]["JWT_ISSUER"] == "https://login.example.com/",
      local.function_environment["health"]["JWT_AUDIENCE"] == "https://api.example.com,web",
      local.function_environment["health"]["REQUIRED_SCOPES"] == jsonencode({ "POST /items" = ["items:write"] }),
      !contains(keys(local.function_environment["items"]), "JWT_ISSUER"),
    ])
    error_message = "The authorizer function must learn its issuer, audience and its routes' scopes."
  }
}

run "frontend_is_published_to_and_allowed_by_the_api" {
  variables {
    frontend = {
      enabled = true
      branch  = "dev"
      stage   = "DEVELOPMENT"
    }
  }

  assert {
    condition = alltrue([
      length(module.frontend) == 1,
      output.frontend_url == "https://dev.d1a2b3c4.amplifyapp.com",
      output.frontend_app_id == module.frontend[0].amplify_app_id,
      output.frontend_branch == "dev",
      one(local.frontend_origins) == "https://dev.d1a2b3c4.amplifyapp.com",
    ])
    error_message = "An enabled frontend is one Amplify app whose branch URL, app and branch are outputs, and whose origin the API allows."
  }
}

run "reject_unknown_table" {
  command = plan

  variables {
    tables = {
      audit = {
        hash_key   = "pk"
        attributes = [{ name = "pk", type = "S" }]
      }
    }
  }

  expect_failures = [data.aws_partition.current]
}

run "reject_database_access_without_database" {
  command = plan

  variables {
    functions = {
      report = {
        zip_path         = "../.deployer/build/report.zip"
        source_code_hash = "hF6RgxMZ6JxNZWvbgMJ4rAmnIw1h5d/S4bH7tDasiRc="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 256
        timeout          = 10
        access           = { database = true }
      }
    }
  }

  expect_failures = [data.aws_partition.current]
}

run "reject_unknown_authorizer" {
  command = plan

  variables {
    default_authorizer = "okta"
  }

  expect_failures = [data.aws_partition.current]
}

run "reject_default_routes_without_default_authorizer" {
  command = plan

  variables {
    default_authorizer = null
  }

  expect_failures = [data.aws_partition.current]
}

run "reject_route_with_unknown_authorizer" {
  command = plan

  variables {
    functions = {
      items = {
        zip_path         = "../.deployer/build/items.zip"
        source_code_hash = "XzxPhYDTkuQi58L2gCZ0rCeWbJjZXDlpbkskkBaOVIg="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 256
        timeout          = 10
        routes           = [{ route_key = "GET /items", auth = "cognito" }]
      }
    }
  }

  expect_failures = [data.aws_partition.current]
}

run "reject_request_authorizer_without_its_function" {
  command = plan

  variables {
    authorizers = {
      jwt = {
        type     = "jwt"
        issuer   = "https://login.example.com/"
        audience = ["https://api.example.com"]
      }
      lambda = {
        type     = "request"
        function = "missing"
      }
    }
  }

  expect_failures = [data.aws_partition.current]
}

run "reject_unknown_database_role" {
  command = plan
  variables {
    database = { enabled = true }
    functions = {
      report = {
        zip_path         = "../.deployer/build/report.zip"
        source_code_hash = "hF6RgxMZ6JxNZWvbgMJ4rAmnIw1h5d/S4bH7tDasiRc="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 256
        timeout          = 10
        access           = { database = true, database_role = "admin" }
      }
    }
  }
  expect_failures = [var.functions]
}

run "reject_bad_access_level" {
  command = plan

  variables {
    functions = {
      items = {
        zip_path         = "../.deployer/build/items.zip"
        source_code_hash = "XzxPhYDTkuQi58L2gCZ0rCeWbJjZXDlpbkskkBaOVIg="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 256
        timeout          = 10
        access           = { tables = { items = "write" } }
      }
    }
  }

  expect_failures = [var.functions]
}

run "reject_route_claimed_twice" {
  command = plan

  variables {
    functions = {
      a = {
        zip_path         = "../.deployer/build/a.zip"
        source_code_hash = "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 128
        timeout          = 3
        routes           = [{ route_key = "GET /x", auth = "none" }]
      }
      b = {
        zip_path         = "../.deployer/build/b.zip"
        source_code_hash = "PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0="
        handler          = "handler.handler"
        runtime          = "python3.12"
        architecture     = "arm64"
        memory           = 128
        timeout          = 3
        routes           = [{ route_key = "GET /x", auth = "none" }]
      }
    }
  }

  expect_failures = [var.functions]
}

run "reject_jwt_authorizer_without_audience" {
  command = plan

  variables {
    authorizers = {
      jwt = {
        type   = "jwt"
        issuer = "https://login.example.com/"
      }
    }
  }

  expect_failures = [var.authorizers]
}

run "reject_half_given_network" {
  command = plan

  variables {
    network = { vpc_id = "vpc-0123456789abcdef1" }
  }

  expect_failures = [var.network]
}

# --- Alarms, the alarm topic and the dashboard (terraform/observability.tf) ------------------

# The alarms notify the topic by ARN, which the mock provider would make up.
override_resource {
  target = module.observability.aws_sns_topic.this[0]
  values = {
    arn = "arn:aws:sns:eu-west-1:123456789012:deployer-test-alarms"
  }
}

run "alarms_watch_every_function_the_api_the_database_and_every_table" {
  variables {
    database = { enabled = true, instance_class = "db.t4g.small" }
    alarms = {
      thresholds    = { api_5xx_rate = 0.02 }
      subscriptions = [{ protocol = "email", endpoint = "oncall@example.com" }]
    }
  }

  assert {
    condition = alltrue([for name in [
      "deployer-test-items-lambda-errors", "deployer-test-items-lambda-throttles", "deployer-test-items-lambda-duration-p99",
      "deployer-test-health-lambda-errors", "deployer-test-health-lambda-throttles", "deployer-test-health-lambda-duration-p99",
      "deployer-test-api-latency-p99", "deployer-test-api-5xx-rate",
      "deployer-test-rds-cpu", "deployer-test-rds-free-storage", "deployer-test-rds-connections", "deployer-test-rds-freeable-memory",
      "deployer-test-items-dynamodb-throttles", "deployer-test-audit-dynamodb-system-errors",
    ] : contains(module.observability.cloudwatch_metric_alarm_names, name)])
    error_message = "Every function, the API, the database and every table has its alarms."
  }

  assert {
    condition = (
      module.observability.database_max_connections == 225
      && output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:deployer-test-alarms"
      && output.dashboard_name == "deployer-test"
    )
    error_message = "The database's class sets max_connections (db.t4g.small: 225); the topic and dashboard are outputs."
  }

  assert {
    condition = (
      module.observability.cloudwatch_metric_alarm_names == sort(module.observability.cloudwatch_metric_alarm_names)
      && length(module.observability.sns_topic_subscription_arns) == 1
    )
    error_message = "The subscription from alarms.subscriptions is the topic's."
  }
}

run "alarm_thresholds_follow_each_functions_timeout" {
  command = plan

  variables {
    alarms = { thresholds = { function_duration = 0.5 }, evaluation_periods = 3 }
  }

  assert {
    condition = (
      module.observability.cloudwatch_metric_alarm_arns != null
      && length([for name in module.observability.cloudwatch_metric_alarm_names : name if endswith(name, "-lambda-duration-p99")]) == 2
    )
    error_message = "One duration alarm per function."
  }
}

run "alarms_can_be_switched_off_outside_prod" {
  command = plan

  variables {
    environment = "dev"
    alarms      = { enabled = false }
  }

  assert {
    condition     = length(module.observability.cloudwatch_metric_alarm_names) == 0 && output.alarm_topic_arn == null && output.dashboard_name == null
    error_message = "alarms.enabled = false leaves dev without alarms, topic or dashboard."
  }
}

run "reject_alarms_off_in_prod" {
  command = plan

  variables {
    environment = "prod"
    alarms = {
      enabled       = false
      subscriptions = [{ protocol = "email", endpoint = "oncall@example.com" }]
    }
  }

  expect_failures = [var.alarms]
}

run "reject_prod_alarms_without_a_subscription" {
  command = plan

  variables {
    environment = "prod"
    alarms      = { subscriptions = [] }
  }

  expect_failures = [var.alarms]
}

run "reject_subscription_without_an_address" {
  command = plan

  variables {
    alarms = { subscriptions = [{ protocol = "email", endpoint = " " }] }
  }

  expect_failures = [var.alarms]
}

# The defaults and every major option, applied against a mock AWS provider (no credentials).

mock_provider "aws" {
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "a1b2c3d4e5"
      api_endpoint  = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
      arn           = "arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/shop/access"
    }
  }

  mock_resource "aws_apigatewayv2_stage" {
    defaults = {
      id         = "$default"
      invoke_url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/"
    }
  }

  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = {
      id = "auth123"
    }
  }

  mock_resource "aws_apigatewayv2_integration" {
    defaults = {
      id = "int4567"
    }
  }
}

variables {
  name = "shop"

  routes = {
    "GET /items/{id}" = {
      function_name       = "shop-items"
      function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-items:live/invocations"
      function_qualifier  = "live"
      public              = true
    }
  }
}

run "defaults" {
  command = apply

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "HTTP" && length(aws_apigatewayv2_api.this.cors_configuration) == 0
    error_message = "An HTTP API without CORS by default."
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.name == "$default" && aws_apigatewayv2_stage.this.auto_deploy
    error_message = "One auto-deployed $default stage."
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.default_route_settings[0].throttling_burst_limit == 100 && aws_apigatewayv2_stage.this.default_route_settings[0].throttling_rate_limit == 50
    error_message = "The stage throttles every route at 100 burst / 50 rps by default."
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn
    error_message = "Access logs go to the module's log group."
  }

  assert {
    condition     = jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format).routeKey == "$context.routeKey" && jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format).status == "$context.status"
    error_message = "Access logs are JSON with the route key and status."
  }

  assert {
    condition     = aws_cloudwatch_log_group.access.name == "/aws/apigateway/shop/access" && aws_cloudwatch_log_group.access.retention_in_days == 30
    error_message = "The access log group keeps 30 days by default."
  }

  assert {
    condition     = aws_apigatewayv2_integration.this["GET /items/{id}"].integration_type == "AWS_PROXY" && aws_apigatewayv2_integration.this["GET /items/{id}"].payload_format_version == "2.0"
    error_message = "Routes use a Lambda proxy integration with payload 2.0."
  }

  assert {
    condition     = aws_apigatewayv2_integration.this["GET /items/{id}"].integration_uri == var.routes["GET /items/{id}"].function_invoke_arn
    error_message = "The integration invokes the alias's invoke ARN."
  }

  assert {
    condition     = aws_apigatewayv2_route.this["GET /items/{id}"].authorization_type == "NONE" && aws_apigatewayv2_route.this["GET /items/{id}"].target == "integrations/int4567"
    error_message = "An explicitly public route has no authorizer and targets its integration."
  }

  assert {
    condition     = aws_lambda_permission.route["GET /items/{id}"].source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/GET/items/*"
    error_message = "The invoke permission is scoped to the route's method and path."
  }

  assert {
    condition     = aws_lambda_permission.route["GET /items/{id}"].qualifier == "live" && aws_lambda_permission.route["GET /items/{id}"].principal == "apigateway.amazonaws.com"
    error_message = "The permission is for API Gateway on the alias only."
  }

  assert {
    condition     = can(regex("^[A-Za-z0-9_-]{1,100}$", aws_lambda_permission.route["GET /items/{id}"].statement_id))
    error_message = "Statement ids are valid Lambda statement ids."
  }

  assert {
    condition     = length(aws_apigatewayv2_domain_name.this) == 0 && length(aws_apigatewayv2_authorizer.this) == 0
    error_message = "No custom domain and no authorizer by default."
  }

  assert {
    condition     = output.api_id == "a1b2c3d4e5" && output.api_execution_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5" && output.api_stage_invoke_url == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/"
    error_message = "The outputs report the API id, execution ARN and stage URL."
  }
}

run "jwt_authorizer_with_scopes" {
  command = apply

  variables {
    authorizers = {
      auth0 = {
        type     = "JWT"
        issuer   = "https://shop.eu.auth0.com/"
        audience = ["https://api.shop.example"]
      }
    }
    routes = {
      "POST /orders" = {
        function_name        = "shop-orders"
        function_invoke_arn  = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-orders:live/invocations"
        function_qualifier   = "live"
        authorizer           = "auth0"
        authorization_scopes = ["orders:write"]
      }
      "ANY /orders/{proxy+}" = {
        function_name       = "shop-orders"
        function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-orders:live/invocations"
        function_qualifier  = "live"
        authorizer          = "auth0"
      }
    }
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this["auth0"].authorizer_type == "JWT" && aws_apigatewayv2_authorizer.this["auth0"].jwt_configuration[0].issuer == "https://shop.eu.auth0.com/"
    error_message = "A JWT authorizer with the given issuer."
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this["auth0"].jwt_configuration[0].audience == toset(["https://api.shop.example"]) && aws_apigatewayv2_authorizer.this["auth0"].identity_sources == toset(["$request.header.Authorization"])
    error_message = "The JWT authorizer checks the audience and reads the Authorization header."
  }

  assert {
    condition     = aws_apigatewayv2_route.this["POST /orders"].authorization_type == "JWT" && aws_apigatewayv2_route.this["POST /orders"].authorizer_id == "auth123"
    error_message = "Protected routes use their JWT authorizer."
  }

  assert {
    condition     = aws_apigatewayv2_route.this["POST /orders"].authorization_scopes == toset(["orders:write"]) && aws_apigatewayv2_route.this["ANY /orders/{proxy+}"].authorization_scopes == null
    error_message = "Scopes are set per route, only where given."
  }

  assert {
    condition     = aws_lambda_permission.route["ANY /orders/{proxy+}"].source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/*/orders/*"
    error_message = "ANY becomes any method and {proxy+} any path segment in the source ARN."
  }

  assert {
    condition     = aws_lambda_permission.route["POST /orders"].statement_id != aws_lambda_permission.route["ANY /orders/{proxy+}"].statement_id
    error_message = "Each route of one function gets its own statement id."
  }

  assert {
    condition     = length(aws_lambda_permission.authorizer) == 0 && output.api_authorizer_ids == { auth0 = "auth123" }
    error_message = "JWT authorizers need no Lambda permission; their ids are reported by name."
  }
}

run "request_authorizer" {
  command = apply

  variables {
    authorizers = {
      tokens = {
        type                = "REQUEST"
        function_name       = "shop-authorizer"
        function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-authorizer:live/invocations"
        function_qualifier  = "live"
        identity_sources    = ["$request.header.Authorization", "$context.routeKey"]
        result_ttl_seconds  = 600
      }
    }
    routes = {
      "$default" = {
        function_name       = "shop-web"
        function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-web:live/invocations"
        function_qualifier  = "live"
        authorizer          = "tokens"
      }
    }
  }

  assert {
    condition = (
      aws_apigatewayv2_authorizer.this["tokens"].authorizer_type == "REQUEST" &&
      aws_apigatewayv2_authorizer.this["tokens"].authorizer_payload_format_version == "2.0" &&
      aws_apigatewayv2_authorizer.this["tokens"].enable_simple_responses &&
      aws_apigatewayv2_authorizer.this["tokens"].authorizer_result_ttl_in_seconds == 600
    )
    error_message = "A REQUEST authorizer uses payload 2.0, simple responses and the given cache TTL."
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this["tokens"].authorizer_uri == var.authorizers["tokens"].function_invoke_arn && length(aws_apigatewayv2_authorizer.this["tokens"].jwt_configuration) == 0
    error_message = "The REQUEST authorizer invokes the function's alias and has no JWT settings."
  }

  assert {
    condition     = aws_apigatewayv2_route.this["$default"].authorization_type == "CUSTOM" && aws_apigatewayv2_route.this["$default"].authorizer_id == "auth123"
    error_message = "Routes behind a REQUEST authorizer use CUSTOM authorization."
  }

  assert {
    condition     = aws_lambda_permission.route["$default"].source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/$default"
    error_message = "The $default route's permission is scoped to $default."
  }

  assert {
    condition     = aws_lambda_permission.authorizer["tokens"].source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/authorizers/auth123" && aws_lambda_permission.authorizer["tokens"].function_name == "shop-authorizer" && aws_lambda_permission.authorizer["tokens"].qualifier == "live"
    error_message = "The authorizer function's alias may be invoked by exactly this authorizer."
  }
}

run "cors_and_throttling" {
  command = apply

  variables {
    cors = {
      allow_origins     = ["https://shop.example", "http://localhost:3000"]
      allow_methods     = ["GET", "POST"]
      allow_headers     = ["authorization", "content-type"]
      allow_credentials = true
    }
    throttling_burst_limit = 20
    throttling_rate_limit  = 10
    log_retention_days     = 365
    kms_key_arn            = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = aws_apigatewayv2_api.this.cors_configuration[0].allow_origins == toset(["https://shop.example", "http://localhost:3000"]) && aws_apigatewayv2_api.this.cors_configuration[0].allow_credentials
    error_message = "CORS allows the listed origins with credentials."
  }

  assert {
    condition     = aws_apigatewayv2_api.this.cors_configuration[0].allow_methods == toset(["GET", "POST"]) && aws_apigatewayv2_api.this.cors_configuration[0].max_age == 300
    error_message = "CORS methods are passed through and preflights are cached 300 s by default."
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.default_route_settings[0].throttling_burst_limit == 20 && aws_apigatewayv2_stage.this.default_route_settings[0].throttling_rate_limit == 10
    error_message = "Stage throttling is passed through."
  }

  assert {
    condition     = aws_cloudwatch_log_group.access.retention_in_days == 365 && aws_cloudwatch_log_group.access.kms_key_id == var.kms_key_arn
    error_message = "Access log retention and KMS key are passed through."
  }
}

run "custom_domain" {
  command = apply

  variables {
    domain_name                  = "api.shop.example"
    certificate_arn              = "arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
    disable_execute_api_endpoint = true
  }

  assert {
    condition     = aws_apigatewayv2_domain_name.this[0].domain_name == "api.shop.example" && aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].certificate_arn == var.certificate_arn
    error_message = "The custom domain uses the given certificate."
  }

  assert {
    condition     = aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].endpoint_type == "REGIONAL" && aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].security_policy == "TLS_1_2"
    error_message = "The custom domain is regional and requires TLS 1.2."
  }

  assert {
    condition     = aws_apigatewayv2_api_mapping.this[0].stage == "$default" && aws_apigatewayv2_api_mapping.this[0].api_id == "a1b2c3d4e5"
    error_message = "The domain maps to the $default stage of this API."
  }

  assert {
    condition     = aws_apigatewayv2_api.this.disable_execute_api_endpoint
    error_message = "The execute-api endpoint can be turned off when a custom domain serves the API."
  }

  assert {
    condition     = output.api_domain_name_target_domain_name == aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name
    error_message = "The DNS target of the custom domain is an output."
  }
}

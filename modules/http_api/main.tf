# An HTTP API whose routes each invoke a Lambda alias, behind JWT or Lambda (REQUEST)
# authorizers, served by one `$default` stage with access logs and throttling.
#
# The stage carries all its settings from creation on (auto deploy, access logs, throttling):
# nothing here makes a re-apply update it, which also keeps emulators without UpdateStage
# happy.

locals {
  # Statement ids of Lambda permissions allow [A-Za-z0-9_-] only.
  safe_name = substr(replace(var.name, "/[^A-Za-z0-9_-]+/", "_"), 0, 40)

  authorization_types = {
    JWT     = "JWT"
    REQUEST = "CUSTOM"
  }

  # The authorizer type of each protected route; null when public or when the named
  # authorizer does not exist (the route's precondition reports that).
  route_authorizer_type = {
    for key, route in var.routes : key => route.public ? null : try(var.authorizers[route.authorizer].type, null)
  }

  # execute-api source ARNs: <api>/<stage>/<METHOD>/<path>. ANY is any method, path
  # parameters ({id}, {proxy+}) match any segment, $default is its own route.
  route_source_arns = {
    for key, route in var.routes : key => (
      key == "$default"
      ? "${aws_apigatewayv2_api.this.execution_arn}/*/$default"
      : format(
        "%s/*/%s%s",
        aws_apigatewayv2_api.this.execution_arn,
        split(" ", key)[0] == "ANY" ? "*" : split(" ", key)[0],
        replace(split(" ", key)[1], "/\\{[^}]+\\}/", "*"),
      )
    )
  }

  request_authorizers = { for name, a in var.authorizers : name => a if a.type == "REQUEST" }

  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    requestTime        = "$context.requestTime"
    ip                 = "$context.identity.sourceIp"
    userAgent          = "$context.identity.userAgent"
    httpMethod         = "$context.httpMethod"
    path               = "$context.path"
    routeKey           = "$context.routeKey"
    protocol           = "$context.protocol"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    responseLatency    = "$context.responseLatency"
    integrationStatus  = "$context.integrationStatus"
    integrationLatency = "$context.integrationLatency"
    integrationError   = "$context.integrationErrorMessage"
    authorizerError    = "$context.authorizer.error"
    errorMessage       = "$context.error.message"
  })
}

resource "aws_apigatewayv2_api" "this" {
  name                         = var.name
  description                  = var.description
  protocol_type                = "HTTP"
  disable_execute_api_endpoint = var.disable_execute_api_endpoint

  dynamic "cors_configuration" {
    for_each = var.cors == null ? [] : [var.cors]
    content {
      allow_origins     = cors_configuration.value.allow_origins
      allow_methods     = cors_configuration.value.allow_methods
      allow_headers     = cors_configuration.value.allow_headers
      allow_credentials = cors_configuration.value.allow_credentials
      max_age           = cors_configuration.value.max_age
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.certificate_arn == null || var.domain_name != null
      error_message = "certificate_arn needs domain_name: set both for a custom domain, or neither."
    }

    precondition {
      condition     = !var.disable_execute_api_endpoint || var.domain_name != null
      error_message = "disable_execute_api_endpoint needs domain_name: without either endpoint the API is unreachable."
    }
  }
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_338:Retention is the log_retention_days input (30 days by default for access logs); set 365 or more where a policy demands a year.
  #checkov:skip=CKV_AWS_158:Encrypted at rest with an AWS owned key by default; pass kms_key_arn for a customer managed key.
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  tags = var.tags
}

resource "aws_apigatewayv2_authorizer" "this" {
  for_each = var.authorizers

  api_id           = aws_apigatewayv2_api.this.id
  name             = each.key
  authorizer_type  = each.value.type
  identity_sources = each.value.identity_sources

  dynamic "jwt_configuration" {
    for_each = each.value.type == "JWT" ? [each.value] : []
    content {
      issuer   = jwt_configuration.value.issuer
      audience = jwt_configuration.value.audience
    }
  }

  authorizer_uri                    = each.value.type == "REQUEST" ? each.value.function_invoke_arn : null
  authorizer_payload_format_version = each.value.type == "REQUEST" ? "2.0" : null
  enable_simple_responses           = each.value.type == "REQUEST" ? true : null
  authorizer_result_ttl_in_seconds  = each.value.type == "REQUEST" ? each.value.result_ttl_seconds : null
}

resource "aws_apigatewayv2_integration" "this" {
  for_each = var.routes

  api_id                 = aws_apigatewayv2_api.this.id
  description            = "${each.key} -> ${each.value.function_name}"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = each.value.function_invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309:A route has authorization NONE only when its caller sets public = true (a validation makes every route name an authorizer or opt out explicitly), e.g. a health check.
  for_each = var.routes

  api_id               = aws_apigatewayv2_api.this.id
  route_key            = each.key
  target               = "integrations/${aws_apigatewayv2_integration.this[each.key].id}"
  authorization_type   = each.value.public ? "NONE" : lookup(local.authorization_types, coalesce(local.route_authorizer_type[each.key], "-"), "NONE")
  authorizer_id        = each.value.public ? null : try(aws_apigatewayv2_authorizer.this[each.value.authorizer].id, null)
  authorization_scopes = length(each.value.authorization_scopes) > 0 ? each.value.authorization_scopes : null

  lifecycle {
    precondition {
      condition     = each.value.public || local.route_authorizer_type[each.key] != null
      error_message = "Route ${each.key}: authorizer \"${each.value.authorizer != null ? each.value.authorizer : ""}\" is not a key of var.authorizers; add it there or name an existing one."
    }

    precondition {
      condition     = length(each.value.authorization_scopes) == 0 || local.route_authorizer_type[each.key] == "JWT"
      error_message = "Route ${each.key}: authorization_scopes need a JWT authorizer; API Gateway ignores scopes on public routes and REQUEST authorizers (check them in the authorizer function)."
    }
  }
}

resource "aws_lambda_permission" "route" {
  for_each = var.routes

  statement_id  = format("%s-%s-%s", local.safe_name, substr(replace(each.key, "/[^A-Za-z0-9_-]+/", "_"), 0, 40), substr(md5(each.key), 0, 8))
  action        = "lambda:InvokeFunction"
  function_name = each.value.function_name
  qualifier     = each.value.function_qualifier
  principal     = "apigateway.amazonaws.com"
  source_arn    = local.route_source_arns[each.key]
}

resource "aws_lambda_permission" "authorizer" {
  for_each = local.request_authorizers

  statement_id  = format("%s-authorizer-%s", local.safe_name, substr(each.key, 0, 40))
  action        = "lambda:InvokeFunction"
  function_name = each.value.function_name
  qualifier     = each.value.function_qualifier
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.this[each.key].id}"
}

# The count follows domain_name alone: a certificate created in the same run has an ARN
# known only after apply, and a count must be known at plan time.
resource "aws_apigatewayv2_domain_name" "this" {
  count = var.domain_name == null ? 0 : 1

  domain_name = var.domain_name

  domain_name_configuration {
    certificate_arn = var.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.certificate_arn != null
      error_message = "domain_name needs certificate_arn (an ACM certificate in the API's region): set both for a custom domain, or neither."
    }
  }
}

resource "aws_apigatewayv2_api_mapping" "this" {
  count = var.domain_name == null ? 0 : 1

  api_id      = aws_apigatewayv2_api.this.id
  domain_name = aws_apigatewayv2_domain_name.this[0].id
  stage       = aws_apigatewayv2_stage.this.id
}

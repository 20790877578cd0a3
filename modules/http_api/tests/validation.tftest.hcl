# One run per validation rule (and per precondition that ties two inputs together): each
# proves its rule rejects a wrong value before AWS sees it.

mock_provider "aws" {}

variables {
  name = "shop"
}

run "reject_bad_name" {
  command = plan

  variables {
    name = "shop api"
  }

  expect_failures = [var.name]
}

run "reject_long_description" {
  command = plan

  variables {
    description = format("%1025s", "x")
  }

  expect_failures = [var.description]
}

run "reject_wildcard_origin_with_credentials" {
  command = plan

  variables {
    cors = { allow_origins = ["*"], allow_credentials = true }
  }

  expect_failures = [var.cors]
}

run "reject_origin_with_path" {
  command = plan

  variables {
    cors = { allow_origins = ["https://shop.example/app"] }
  }

  expect_failures = [var.cors]
}

run "reject_unknown_cors_method" {
  command = plan

  variables {
    cors = { allow_origins = ["https://shop.example"], allow_methods = ["FETCH"] }
  }

  expect_failures = [var.cors]
}

run "reject_cors_max_age_over_a_day" {
  command = plan

  variables {
    cors = { allow_origins = ["https://shop.example"], max_age = 86401 }
  }

  expect_failures = [var.cors]
}

run "reject_negative_burst_limit" {
  command = plan

  variables {
    throttling_burst_limit = -1
  }

  expect_failures = [var.throttling_burst_limit]
}

run "reject_negative_rate_limit" {
  command = plan

  variables {
    throttling_rate_limit = -0.5
  }

  expect_failures = [var.throttling_rate_limit]
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
    kms_key_arn = "alias/logs"
  }

  expect_failures = [var.kms_key_arn]
}

run "reject_unknown_authorizer_type" {
  command = plan

  variables {
    authorizers = { iam = { type = "AWS_IAM" } }
  }

  expect_failures = [var.authorizers]
}

run "reject_jwt_issuer_not_https" {
  command = plan

  variables {
    authorizers = { auth0 = { type = "JWT", issuer = "http://shop.eu.auth0.com/", audience = ["api"] } }
  }

  expect_failures = [var.authorizers]
}

run "reject_request_authorizer_without_function" {
  command = plan

  variables {
    authorizers = { tokens = { type = "REQUEST", function_name = "shop-authorizer" } }
  }

  expect_failures = [var.authorizers]
}

run "reject_authorizer_ttl_over_an_hour" {
  command = plan

  variables {
    authorizers = { tokens = { type = "REQUEST", function_name = "shop-authorizer", function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-items:live/invocations", result_ttl_seconds = 3601 } }
  }

  expect_failures = [var.authorizers]
}

run "reject_bad_identity_source" {
  command = plan

  variables {
    authorizers = { auth0 = { type = "JWT", issuer = "https://shop.eu.auth0.com/", audience = ["api"], identity_sources = ["Authorization"] } }
  }

  expect_failures = [var.authorizers]
}

run "reject_bad_authorizer_name" {
  command = plan

  variables {
    authorizers = { "auth 0" = { type = "JWT", issuer = "https://shop.eu.auth0.com/", audience = ["api"] } }
  }

  expect_failures = [var.authorizers]
}

run "reject_bad_route_key" {
  command = plan

  variables {
    routes = {
      "get /items" = { function_name = "shop-items", function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-items:live/invocations", public = true }
    }
  }

  expect_failures = [var.routes]
}

run "reject_route_neither_public_nor_authorized" {
  command = plan

  variables {
    routes = {
      "GET /items" = { function_name = "shop-items", function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-items:live/invocations", public = false }
    }
  }

  expect_failures = [var.routes]
}

run "reject_bad_function_invoke_arn" {
  command = plan

  variables {
    routes = {
      "GET /items" = { function_name = "shop-items", function_invoke_arn = "arn:aws:lambda:eu-west-1:123456789012:function:shop-items", public = true }
    }
  }

  expect_failures = [var.routes]
}

run "reject_bad_domain_name" {
  command = plan

  variables {
    domain_name = "API.Shop.Example."
  }

  expect_failures = [var.domain_name]
}

run "reject_bad_certificate_arn" {
  command = plan

  variables {
    certificate_arn = "arn:aws:iam::123456789012:server-certificate/shop"
  }

  expect_failures = [var.certificate_arn]
}

run "reject_domain_without_certificate" {
  command = plan

  variables {
    domain_name = "api.shop.example"
  }

  expect_failures = [aws_apigatewayv2_domain_name.this]
}

run "reject_certificate_without_domain" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  expect_failures = [aws_apigatewayv2_api.this]
}

run "reject_disabled_endpoint_without_domain" {
  command = plan

  variables {
    disable_execute_api_endpoint = true
  }

  expect_failures = [aws_apigatewayv2_api.this]
}

run "reject_route_with_unknown_authorizer" {
  command = plan

  variables {
    routes = {
      "GET /items" = { function_name = "shop-items", function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-items:live/invocations", authorizer = "missing" }
    }
  }

  expect_failures = [aws_apigatewayv2_route.this]
}

run "reject_scopes_without_jwt_authorizer" {
  command = plan

  variables {
    authorizers = { tokens = { type = "REQUEST", function_name = "shop-authorizer", function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-items:live/invocations" } }
    routes = {
      "GET /items" = { function_name = "shop-items", function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shop-items:live/invocations", authorizer = "tokens", authorization_scopes = ["items:read"] }
    }
  }

  expect_failures = [aws_apigatewayv2_route.this]
}

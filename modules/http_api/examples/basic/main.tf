# The smallest real call: one route behind a JWT authorizer and a public health check, both
# sent to a Lambda alias. Validate with `terraform init && terraform validate`.

provider "aws" {
  region = "eu-west-1"
}

locals {
  # What the lambda_function module's lambda_alias_invoke_arn output holds.
  invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:example-items:live/invocations"
}

module "api" {
  source = "../.."

  name = "example-api"

  cors = {
    allow_origins = ["https://app.example.com"]
    allow_methods = ["GET", "POST"]
    allow_headers = ["authorization", "content-type"]
  }

  authorizers = {
    auth0 = {
      type     = "JWT"
      issuer   = "https://example.eu.auth0.com/"
      audience = ["https://api.example.com"]
    }
  }

  routes = {
    "GET /items/{id}" = {
      function_name        = "example-items"
      function_invoke_arn  = local.invoke_arn
      function_qualifier   = "live"
      authorizer           = "auth0"
      authorization_scopes = ["items:read"]
    }
    "GET /health" = {
      function_name       = "example-items"
      function_invoke_arn = local.invoke_arn
      function_qualifier  = "live"
      public              = true
    }
  }

  tags = {
    app = "example"
  }
}

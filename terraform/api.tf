# The HTTP API: one route per route declared by any function, authorizers from tfvars.

locals {
  # A route whose authorizer does not resolve, or an authorizer whose function does not
  # exist, is left out (the preconditions in main.tf report it): never made public.
  api_routes = merge([
    for fn, f in var.functions : {
      for r in f.routes : r.route_key => {
        function_name       = module.function[fn].lambda_function_name
        function_invoke_arn = module.function[fn].lambda_alias_invoke_arn
        function_qualifier  = module.function[fn].lambda_alias_name
        public              = r.auth == "none"
        authorizer          = local.route_authorizer[r.route_key]
        # API Gateway checks scopes itself only for JWT authorizers (REQUEST: see functions.tf).
        authorization_scopes = try(var.authorizers[local.route_authorizer[r.route_key]].type, "") == "jwt" ? r.scopes : []
      } if r.auth == "none" || contains(keys(local.api_authorizers), coalesce(local.route_authorizer[r.route_key], "-"))
    }
  ]...)

  api_authorizers = {
    for name, a in var.authorizers : name => {
      type                = upper(a.type) == "JWT" ? "JWT" : "REQUEST"
      issuer              = a.type == "jwt" ? a.issuer : null
      audience            = a.type == "jwt" ? a.audience : []
      function_name       = a.type == "request" ? module.function[a.function].lambda_function_name : null
      function_invoke_arn = a.type == "request" ? module.function[a.function].lambda_alias_invoke_arn : null
      function_qualifier  = a.type == "request" ? module.function[a.function].lambda_alias_name : null
      # API Gateway caches a REQUEST authorizer's answer per identity source. The Lambda
      # authorizer checks scopes per route, so a cached answer must never cross routes:
      # with caching on, the route key is part of the cache key.
      # (One line: checkov's HCL parser cannot read a conditional split over lines.)
      identity_sources   = concat(a.identity_sources, a.type == "request" && a.ttl > 0 && !contains(a.identity_sources, "$context.routeKey") ? ["$context.routeKey"] : [])
      result_ttl_seconds = a.ttl
    } if a.type == "jwt" || contains(keys(var.functions), coalesce(a.function, "-"))
  }
}

module "api" {
  source = "../modules/http_api"

  name        = local.name_prefix
  description = "${var.app} API (${var.environment})"
  # The frontend's own origin is allowed too: its pages call the API from the browser.
  cors = length(var.api.cors_allow_origins) + length(local.frontend_origins) == 0 ? null : {
    allow_origins = concat(var.api.cors_allow_origins, local.frontend_origins)
    allow_methods = var.api.cors_allow_methods
    allow_headers = var.api.cors_allow_headers
  }
  throttling_burst_limit = var.api.throttling_burst_limit
  throttling_rate_limit  = var.api.throttling_rate_limit
  log_retention_days     = var.log_retention_days

  authorizers = local.api_authorizers
  routes      = local.api_routes
}

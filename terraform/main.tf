# The root stack of one environment: functions from the generated `functions` map, the HTTP
# API routed to them, DynamoDB tables, the optional database (and the network it needs) and
# the optional Amplify frontend. Every input comes from envs/<env>.tfvars or the deployer's
# generated var-file; nothing here knows which environment (or which cloud endpoint) it is.

locals {
  name_prefix      = "${var.app}-${var.environment}"
  database_enabled = var.database.enabled

  # Declared access that points at nothing: reported by the checks below, and left out of
  # the wiring so the check's message is the error a user sees.
  unknown_tables = flatten([
    for fn, f in var.functions : [
      for t in keys(f.access.tables) : "${fn} -> ${t}" if !contains(keys(var.tables), t)
    ]
  ])
  functions_needing_database = [for fn, f in var.functions : fn if f.access.database]
  unknown_route_auth = flatten([
    for fn, f in var.functions : [
      for r in f.routes : "${fn}: ${r.route_key} (auth = ${r.auth})"
      if !contains(concat(["none", "default"], keys(var.authorizers)), r.auth)
    ]
  ])
  default_routes = flatten([
    for fn, f in var.functions : [for r in f.routes : "${fn}: ${r.route_key}" if r.auth == "default"]
  ])
  # The authorizer each route uses (null: public), and its routes' scopes per authorizer.
  route_authorizer = merge([
    for f in values(var.functions) : {
      for r in f.routes : r.route_key => (r.auth == "none" ? null : (r.auth == "default" ? var.default_authorizer : r.auth))
    }
  ]...)
  authorizer_scopes = {
    for name in keys(var.authorizers) : name => merge([
      for f in values(var.functions) : {
        for r in f.routes : r.route_key => r.scopes
        if local.route_authorizer[r.route_key] == name && length(r.scopes) > 0
      }
    ]...)
  }
  unknown_authorizer_functions = [
    for name, a in var.authorizers : "${name} -> ${a.function}"
    if a.type == "request" && !contains(keys(var.functions), coalesce(a.function, "-"))
  ]
}

# Rules across variables. A variable's `validation` may read other variables only from
# Terraform 1.9, so they are preconditions here (read at plan time, before anything changes).
# The deployer checks the same rules before Terraform runs, with file names in its messages.
data "aws_partition" "current" {
  lifecycle {
    precondition {
      condition     = length(local.unknown_tables) == 0
      error_message = "Functions name tables that are not in var.tables: ${join(", ", local.unknown_tables)}. Add them to tables in envs/<env>.tfvars or fix access.tables in the function.toml."
    }
    precondition {
      condition     = local.database_enabled || length(local.functions_needing_database) == 0
      error_message = "Functions need the database but database.enabled is false: ${join(", ", local.functions_needing_database)}. Enable the database in envs/<env>.tfvars or set access.database = false."
    }
    precondition {
      condition     = length(local.unknown_route_auth) == 0
      error_message = "Routes name authorizers that are not in var.authorizers: ${join(", ", local.unknown_route_auth)}. Use \"none\", \"default\" or a key of authorizers."
    }
    precondition {
      condition     = var.default_authorizer == null ? length(local.default_routes) == 0 : contains(keys(var.authorizers), var.default_authorizer)
      error_message = var.default_authorizer == null ? "Routes use auth = \"default\" but default_authorizer is null: ${join(", ", local.default_routes)}. Set default_authorizer to a key of authorizers." : "default_authorizer = \"${var.default_authorizer}\" is not a key of authorizers (${join(", ", keys(var.authorizers))})."
    }
    precondition {
      condition     = length(local.unknown_authorizer_functions) == 0
      error_message = "REQUEST authorizers name functions that are not in lambda_src/: ${join(", ", local.unknown_authorizer_functions)}."
    }
  }
}

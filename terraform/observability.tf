# Alarms, the encrypted alarm topic and the dashboard of the environment: every function (its
# timeout from the build manifest), the API's $default stage, the database when enabled and
# every table. var.alarms sets thresholds and subscriptions per environment; prod cannot
# switch them off (variables.tf).

module "observability" {
  source = "../modules/observability"

  enabled = var.alarms.enabled
  name    = local.name_prefix

  functions = {
    for fn, f in var.functions : module.function[fn].lambda_function_name => { timeout = f.timeout }
  }
  api = { id = module.api.api_id, stage = "$default" }
  database = local.database_enabled ? {
    identifier     = one(module.database[*].db_instance_identifier)
    instance_class = var.database.instance_class
  } : null
  tables = { for name, t in module.table : name => t.dynamodb_table_name }

  # Unset thresholds take the module's defaults.
  thresholds          = { for k, v in var.alarms.thresholds : k => v if v != null }
  period_seconds      = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  datapoints_to_alarm = var.alarms.datapoints_to_alarm
  subscriptions       = var.alarms.subscriptions
}

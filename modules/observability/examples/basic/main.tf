# The smallest real call: alarms on two functions, an HTTP API, a database and a table, the
# encrypted topic they notify (with one email subscription) and the dashboard. Validate with
# `terraform init && terraform validate`.

provider "aws" {
  region = "eu-west-1"
}

module "observability" {
  source = "../.."

  name = "example-dev"

  functions = {
    example-dev-items  = { timeout = 10 }
    example-dev-worker = { timeout = 60, asynchronous = true }
  }
  api      = { id = "a1b2c3d4e5" }
  database = { identifier = "example-dev", instance_class = "db.t4g.micro" }
  tables   = { items = "example-dev-items" }

  thresholds = {
    api_5xx_rate = 0.02
  }
  evaluation_periods = 5

  subscriptions = [
    { protocol = "email", endpoint = var.alarm_email },
  ]

  tags = {
    app = "example"
  }
}

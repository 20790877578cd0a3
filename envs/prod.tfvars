# prod: Multi-AZ, deletion protection everywhere, a year of logs, tighter throttling.
# Protected: applies only a saved plan, confirmed.

region             = "eu-west-1"
log_retention_days = 365
tracing            = true

tables = {
  items = {
    hash_key            = "id"
    attributes          = [{ name = "id", type = "S" }]
    deletion_protection = true
  }
}

# Routes with auth = "default" use default_authorizer: "jwt" lets API Gateway check the
# tokens itself; "lambda" runs lambda_src/authorizer (a REQUEST authorizer) instead.
authorizers = {
  jwt = {
    type     = "jwt"
    issuer   = "https://login.example.com/"
    audience = ["https://api.example.com"]
  }
  lambda = {
    type     = "request"
    function = "authorizer"
    issuer   = "https://login.example.com/"
    audience = ["https://api.example.com"]
    ttl      = 300
  }
}
default_authorizer = "jwt"

api = {
  throttling_burst_limit = 50
  throttling_rate_limit  = 20
  cors_allow_origins     = ["https://app.example.com"]
}

database = {
  enabled                      = true
  instance_class               = "db.m7g.large"
  allocated_storage            = 50
  max_allocated_storage        = 500
  multi_az                     = true
  deletion_protection          = true
  skip_final_snapshot          = false
  backup_retention_period      = 30
  performance_insights_enabled = true
  proxy                        = true # RDS Proxy: pooled connections for the functions
}

# The stack creates a VPC with two private subnets; a platform team's network is used instead
# when given: network = { vpc_id = "vpc-...", subnet_ids = ["subnet-...", "subnet-..."] }.
network = {
  cidr = "10.43.0.0/16"
}

frontend = {
  enabled = true
  branch  = "main"
  stage   = "PRODUCTION"
}

# Alarms (modules/observability): always on in prod (the stack refuses enabled = false) and
# at least one subscription is required. An email subscription is confirmed by its recipient
# (the link in the mail AWS sends) before it receives anything; an https endpoint (a pager's
# webhook) must answer SNS's SubscriptionConfirmation.
alarms = {
  enabled            = true
  evaluation_periods = 3
  thresholds = {
    function_errors      = 0
    api_5xx_rate         = 0.01
    api_latency_p99_ms   = 1500
    database_cpu_percent = 75
  }
  subscriptions = [
    { protocol = "email", endpoint = "oncall@example.com" },
  ]
}

# preprod: production's shape (Multi-AZ, deletion protection), on a smaller instance.
# Protected: applies only a saved plan, confirmed.

region             = "eu-west-1"
log_retention_days = 90
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
  cors_allow_origins     = ["https://preprod.app.example.com"]
}

database = {
  enabled                      = true
  instance_class               = "db.t4g.small"
  allocated_storage            = 20
  max_allocated_storage        = 100
  multi_az                     = true
  deletion_protection          = true
  skip_final_snapshot          = false
  backup_retention_period      = 7
  performance_insights_enabled = false
  proxy                        = true # RDS Proxy: pooled connections for the functions
}

# The stack creates a VPC with two private subnets; a platform team's network is used instead
# when given: network = { vpc_id = "vpc-...", subnet_ids = ["subnet-...", "subnet-..."] }.
network = {
  cidr = "10.42.0.0/16"
}

frontend = {
  enabled = true
  branch  = "preprod"
  stage   = "BETA"
}

# Alarms (modules/observability): production's thresholds, so a release that would page in
# prod pages here first. An email subscription is confirmed by its recipient (the link in
# the mail AWS sends) before it receives anything.
alarms = {
  enabled            = true
  evaluation_periods = 5
  thresholds = {
    function_errors    = 0
    api_5xx_rate       = 0.02
    api_latency_p99_ms = 2000
  }
  subscriptions = [
    { protocol = "email", endpoint = "platform-alerts@example.com" },
  ]
}

# qa: like dev, kept a little longer, on the API Gateway JWT authorizer as in production.

region             = "eu-west-1"
log_retention_days = 30
tracing            = true

tables = {
  items = {
    hash_key            = "id"
    attributes          = [{ name = "id", type = "S" }]
    deletion_protection = false
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
  throttling_burst_limit = 100
  throttling_rate_limit  = 50
  cors_allow_origins     = ["https://qa.app.example.com"]
}

database = {
  enabled                      = true
  instance_class               = "db.t4g.micro"
  allocated_storage            = 20
  max_allocated_storage        = 50
  multi_az                     = false
  deletion_protection          = false
  skip_final_snapshot          = true
  backup_retention_period      = 3
  performance_insights_enabled = false
}

# The stack creates a VPC with two private subnets; a platform team's network is used instead
# when given: network = { vpc_id = "vpc-...", subnet_ids = ["subnet-...", "subnet-..."] }.
network = {
  cidr = "10.41.0.0/16"
}

frontend = {
  enabled = true
  branch  = "qa"
  stage   = "BETA"
}

# Alarms (modules/observability): on with looser thresholds (test runs provoke errors and
# slow calls); notifications only where the team adds a subscription.
alarms = {
  enabled            = true
  evaluation_periods = 10
  thresholds = {
    function_errors    = 5
    api_5xx_rate       = 0.1
    api_latency_p99_ms = 5000
  }
  subscriptions = []
}

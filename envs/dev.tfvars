# dev: small and cheap. One AZ, a micro database without backups worth keeping,
# a week of logs, everything easy to tear down.

region             = "eu-west-1"
log_retention_days = 7
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
default_authorizer = "lambda"

api = {
  throttling_burst_limit = 100
  throttling_rate_limit  = 50
  cors_allow_origins     = ["http://localhost:3000", "https://dev.app.example.com"]
}

database = {
  enabled                      = true
  instance_class               = "db.t4g.micro"
  allocated_storage            = 20
  max_allocated_storage        = 50
  multi_az                     = false
  deletion_protection          = false
  skip_final_snapshot          = true
  backup_retention_period      = 1
  performance_insights_enabled = false
}

# The stack creates a VPC with two private subnets; a platform team's network is used instead
# when given: network = { vpc_id = "vpc-...", subnet_ids = ["subnet-...", "subnet-..."] }.
network = {
  cidr = "10.40.0.0/16"
}

frontend = {
  enabled = true
  branch  = "dev"
  stage   = "DEVELOPMENT"
}

# Alarms (modules/observability): off in dev, where failures are part of the work and nobody
# is on call. Turn them on (enabled = true) to try thresholds before they reach qa.
alarms = {
  enabled = false
}

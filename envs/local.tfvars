# local: the whole stack on the embedded AWS emulator, frontend included (the emulator
# serves the published site on loopback); the database is on, without deletion protection
# or final snapshot so `deployer destroy local` removes everything.

region             = "eu-west-1"
log_retention_days = 1
tracing            = true

# The emulator is served over plain HTTP: the packages bucket cannot refuse it.
packages = {
  tls_only = false
}

tables = {
  items = {
    hash_key            = "id"
    attributes          = [{ name = "id", type = "S" }]
    deletion_protection = false
  }
}

# The emulator is the OIDC issuer of local: https://auth.deployer.localhost/ names no port,
# and `deployer token local` mints its tokens. Routes with auth = "default" use "jwt":
# API Gateway (here, the emulator) checks the tokens itself, against the issuer's keys.
# "lambda" runs lambda_src/authorizer (a REQUEST authorizer) instead; it fetches the
# issuer's JWKS itself, from a URL with the emulator's port in it, which this file cannot
# know, so it is not the default here (a test environment sets its jwks_url).
authorizers = {
  jwt = {
    type     = "jwt"
    issuer   = "https://auth.deployer.localhost/"
    audience = ["https://api.example.com"]
  }
  lambda = {
    type     = "request"
    function = "authorizer"
    issuer   = "https://auth.deployer.localhost/"
    audience = ["https://api.example.com"]
    ttl      = 300
  }
}
default_authorizer = "jwt"

api = {
  throttling_burst_limit = 100
  throttling_rate_limit  = 50
  cors_allow_origins     = ["http://localhost:3000"]
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
  apply_immediately            = true
}

# The stack creates a VPC with two private subnets; a platform team's network is used instead
# when given: network = { vpc_id = "vpc-...", subnet_ids = ["subnet-...", "subnet-..."] }.
network = {
  cidr = "10.50.0.0/16"
}

frontend = {
  enabled = true
  branch  = "local"
  stage   = "DEVELOPMENT"
}

# Alarms (modules/observability): on, so local applies the same alarms, topic and dashboard
# as every other environment; nobody is notified (no subscriptions).
alarms = {
  enabled = true
}

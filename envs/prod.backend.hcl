# S3 state of the `prod` environment (`deployer bootstrap prod` creates the bucket).
bucket       = "deployer-prod-tfstate-euw1"
key          = "prod/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true

# S3 state of the `qa` environment (`deployer bootstrap qa` creates the bucket).
bucket       = "deployer-qa-tfstate-euw1"
key          = "qa/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true

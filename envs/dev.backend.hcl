# S3 state of the `dev` environment (`deployer bootstrap dev` creates the bucket).
bucket       = "deployer-dev-tfstate-euw1"
key          = "dev/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true

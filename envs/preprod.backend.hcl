# S3 state of the `preprod` environment (`deployer bootstrap preprod` creates the bucket).
bucket       = "deployer-preprod-tfstate-euw1"
key          = "preprod/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true

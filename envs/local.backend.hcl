# S3 state of the `local` environment, in the embedded emulator (its endpoint and fake
# credentials come from the process environment, never from this file).
bucket         = "deployer-local-tfstate"
key            = "local/terraform.tfstate"
region         = "eu-west-1"
encrypt        = true
use_lockfile   = true
use_path_style = true # the emulator serves buckets under its own host, not as subdomains
# The credentials are the emulator's fake ones: an STS round trip would prove nothing.
skip_credentials_validation = true
skip_requesting_account_id  = true

terraform {
  # 1.10: the environments' backend files use the S3 backend's native lock file
  # (`use_lockfile`). (The modules need only 1.7: mock providers for `terraform test`.)
  required_version = ">= 1.10"

  required_providers {
    # Patch releases only: with no committed lock file (README, "Terraform's dependency
    # lock file"), this constraint is what keeps every clone and CI on one provider.
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100.0"
    }
  }
}

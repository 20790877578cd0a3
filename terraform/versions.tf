terraform {
  # 1.7: mock providers for `terraform test`. The environments' backend files use the S3
  # backend's native lock file (`use_lockfile`), which needs Terraform 1.10 or newer.
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

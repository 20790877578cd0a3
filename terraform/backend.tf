terraform {
  # Partial configuration: bucket, key, region and locking come from
  # envs/<env>.backend.hcl through `terraform init -backend-config=...`.
  backend "s3" {}
}

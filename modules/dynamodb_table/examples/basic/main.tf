# A table of items keyed by tenant and item id, with an index by status and expiring sessions.
# Run from this folder: terraform init && terraform plan (needs AWS credentials).

provider "aws" {
  region = "eu-west-1"
}

module "items" {
  source = "../.."

  name      = "example-items"
  hash_key  = "tenant_id"
  range_key = "item_id"

  attributes = [
    { name = "tenant_id", type = "S" },
    { name = "item_id", type = "S" },
    { name = "status", type = "S" },
    { name = "updated_at", type = "N" },
  ]

  global_secondary_indexes = [
    { name = "by-status", hash_key = "status", range_key = "updated_at" },
  ]

  ttl_attribute    = "expires_at"
  stream_view_type = "NEW_AND_OLD_IMAGES"

  tags = {
    Project = "example"
  }
}

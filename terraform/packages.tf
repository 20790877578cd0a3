# The bucket the functions' zips are stored in before the functions are created from them.
# From S3 the AWS provider creates functions side by side; from local zips it creates them
# one at a time (about 5 s each, more on AWS), and a direct upload stops at 50 MB.
# Packages are rebuilt reproducibly from git, so the bucket is emptied on destroy.

locals {
  packages_in_s3 = var.packages.in_s3
}

resource "aws_s3_bucket" "packages" {
  #checkov:skip=CKV_AWS_18:Access logs of build artifacts add cost, not insight: every write is Terraform's, recorded in the state and CloudTrail.
  #checkov:skip=CKV_AWS_144:Packages are rebuilt from git in any region; replicating them protects nothing.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to a new package; whoever uploads it (Terraform, or deployer deploy-code) updates the function in the same run.
  #checkov:skip=CKV_AWS_21:One object per function (function/package.zip), overwritten by each build and rebuilt reproducibly from git; a rollback moves the live alias to a published Lambda version, which keeps its own copy of the code, so object versions would only keep builds nothing deploys from.
  #checkov:skip=CKV2_AWS_61:Each function's package is one object, overwritten by each build and deleted with its function by Terraform, and uploads are single PUTs that leave no incomplete multipart parts: a lifecycle rule has nothing to expire.
  count = local.packages_in_s3 ? 1 : 0

  bucket_prefix = substr("${local.name_prefix}-packages-", 0, 37)
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "packages" {
  count = local.packages_in_s3 ? 1 : 0

  bucket                  = aws_s3_bucket.packages[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "packages" {
  count = local.packages_in_s3 ? 1 : 0

  bucket = aws_s3_bucket.packages[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "packages" {
  count = local.packages_in_s3 ? 1 : 0

  bucket = aws_s3_bucket.packages[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

# TLS only, except behind an emulator served over plain HTTP (packages.tls_only = false).
resource "aws_s3_bucket_policy" "packages" {
  count = local.packages_in_s3 && var.packages.tls_only ? 1 : 0

  bucket = aws_s3_bucket.packages[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.packages[0].arn, "${aws_s3_bucket.packages[0].arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.packages]
}

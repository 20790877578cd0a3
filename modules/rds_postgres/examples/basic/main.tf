# A PostgreSQL instance in two private subnets of an existing VPC, reachable on 5432 from the
# application's security group only. Run from this folder: terraform init && terraform plan
# (needs AWS credentials and the IDs of your VPC, subnets and application security group).

provider "aws" {
  region = "eu-west-1"
}

module "database" {
  source = "../.."

  identifier                 = "example-app"
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.private_subnet_ids
  allowed_security_group_ids = [var.app_security_group_id]

  tags = {
    Project = "example"
  }
}

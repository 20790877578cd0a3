# A PostgreSQL instance in two private subnets of an existing VPC, reachable on 5432 from the
# application's security group only. Run from this folder: terraform init && terraform plan
# (needs AWS credentials and the IDs of your VPC, subnets and application security group).

provider "aws" {
  region = "eu-west-1"
}

variable "vpc_id" {
  description = "VPC that holds the database subnets."
  type        = string
  default     = "vpc-0123456789abcdef0"
}

variable "private_subnet_ids" {
  description = "Private subnets in two Availability Zones."
  type        = list(string)
  default     = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
}

variable "app_security_group_id" {
  description = "Security group of the application that connects to the database."
  type        = string
  default     = "sg-0123456789abcdef0"
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

output "database_endpoint" {
  description = "Where the application connects (TLS is required)."
  value       = module.database.db_instance_endpoint
}

output "database_secret_arn" {
  description = "Secret holding the master credentials, managed by RDS."
  value       = module.database.db_instance_master_user_secret_arn
}

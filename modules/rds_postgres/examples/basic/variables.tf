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

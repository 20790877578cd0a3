# The network the database needs, only when the database is enabled: a platform team's VPC
# and subnets when given, else a VPC with two private subnets in two AZs (no internet route;
# DynamoDB and Secrets Manager are reached through VPC endpoints).

locals {
  create_network = local.database_enabled && var.network.vpc_id == null
  vpc_id         = local.create_network ? one(aws_vpc.this[*].id) : var.network.vpc_id
  subnet_ids     = local.create_network ? aws_subnet.private[*].id : var.network.subnet_ids
}

# Only the first two zones are used, and AWS lists zones by name: a zone added later never
# changes which two these are.
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:the stack takes the first two zones by name, which a new zone does not change
  count = local.create_network ? 1 : 0
  state = "available"
}

resource "aws_vpc" "this" {
  count = local.create_network ? 1 : 0

  cidr_block           = var.network.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # the Secrets Manager endpoint's private DNS needs both

  tags = { Name = local.name_prefix }
}

# Rejected and accepted traffic of the whole VPC, kept as long as the other logs.
resource "aws_flow_log" "this" {
  count = local.create_network ? 1 : 0

  vpc_id                   = aws_vpc.this[0].id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn             = aws_iam_role.flow_logs[0].arn
  max_aggregation_interval = 600
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_338:Retention is log_retention_days of the environment (a year in prod).
  #checkov:skip=CKV_AWS_158:Encrypted at rest with an AWS owned key, like every log group of the stack.
  count = local.create_network ? 1 : 0

  name              = "/aws/vpc/${local.name_prefix}/flow-logs"
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "flow_logs" {
  count = local.create_network ? 1 : 0

  name = "${local.name_prefix}-vpc-flow-logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "flow_logs" {
  count = local.create_network ? 1 : 0

  name = "write-flow-logs"
  role = aws_iam_role.flow_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
      ]
      Resource = [
        aws_cloudwatch_log_group.flow_logs[0].arn,
        "${aws_cloudwatch_log_group.flow_logs[0].arn}:log-stream:*",
      ]
    }]
  })
}

# Nothing uses the default security group: keep it closed.
resource "aws_default_security_group" "this" {
  count  = local.create_network ? 1 : 0
  vpc_id = aws_vpc.this[0].id
}

resource "aws_subnet" "private" {
  count = local.create_network ? 2 : 0

  vpc_id            = aws_vpc.this[0].id
  cidr_block        = cidrsubnet(var.network.cidr, 4, count.index)
  availability_zone = data.aws_availability_zones.available[0].names[count.index]

  tags = { Name = "${local.name_prefix}-private-${count.index}" }
}

resource "aws_route_table" "private" {
  count  = local.create_network ? 1 : 0
  vpc_id = aws_vpc.this[0].id

  tags = { Name = "${local.name_prefix}-private" }
}

resource "aws_route_table_association" "private" {
  count          = local.create_network ? 2 : 0
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[0].id
}

resource "aws_vpc_endpoint" "dynamodb" {
  count             = local.create_network ? 1 : 0
  vpc_id            = aws_vpc.this[0].id
  service_name      = "com.amazonaws.${var.region}.dynamodb"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private[0].id]

  tags = { Name = "${local.name_prefix}-dynamodb" }
}

resource "aws_vpc_endpoint" "secretsmanager" {
  count               = local.create_network ? 1 : 0
  vpc_id              = aws_vpc.this[0].id
  service_name        = "com.amazonaws.${var.region}.secretsmanager"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]

  tags = { Name = "${local.name_prefix}-secretsmanager" }
}

resource "aws_security_group" "endpoints" {
  count       = local.create_network ? 1 : 0
  name        = "${local.name_prefix}-endpoints"
  description = "VPC interface endpoints, reached by the functions over HTTPS"
  vpc_id      = aws_vpc.this[0].id
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_lambda" {
  count                        = local.create_network ? 1 : 0
  security_group_id            = aws_security_group.endpoints[0].id
  description                  = "HTTPS from the functions"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.lambda[0].id
}

# The functions that use the database run in this group; the database module lets it in.
resource "aws_security_group" "lambda" {
  #checkov:skip=CKV2_AWS_5:Attached to the functions that use the database, through the lambda_function module's vpc_config.
  count       = local.database_enabled ? 1 : 0
  name        = "${local.name_prefix}-lambda"
  description = "Lambda functions that use the database"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_database" {
  count                        = local.database_enabled ? 1 : 0
  security_group_id            = aws_security_group.lambda[0].id
  description                  = "PostgreSQL to the database (its proxy when there is one)"
  ip_protocol                  = "tcp"
  from_port                    = module.database[0].db_instance_port
  to_port                      = module.database[0].db_instance_port
  referenced_security_group_id = module.database[0].db_client_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "lambda_https" {
  count             = local.database_enabled ? 1 : 0
  security_group_id = aws_security_group.lambda[0].id
  description       = "HTTPS to AWS APIs (VPC endpoints, or the platform network's egress)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

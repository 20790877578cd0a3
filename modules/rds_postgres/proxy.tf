# RDS Proxy (optional): Lambda containers borrow pooled connections instead of each opening
# its own to a small instance. TLS is required from clients; the proxy logs in with the
# master and application secrets, through a role that may read only those two.

locals {
  # The master user's secret always exists: the module has RDS manage that password.
  proxy_secret_arns = [
    aws_db_instance.this.master_user_secret[0].secret_arn,
    aws_secretsmanager_secret.app_user.arn,
  ]
}

resource "aws_security_group" "proxy" {
  #checkov:skip=CKV2_AWS_5:Attached to aws_db_proxy.this through vpc_security_group_ids, an attachment this graph check does not know.
  count = var.proxy.enabled ? 1 : 0

  name        = "${var.identifier}-proxy"
  description = "RDS Proxy of ${var.identifier}: port ${local.port} from allowed security groups, to the instance only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.identifier}-proxy" })
}

resource "aws_vpc_security_group_ingress_rule" "proxy" {
  count = var.proxy.enabled ? length(var.allowed_security_group_ids) : 0

  security_group_id            = aws_security_group.proxy[0].id
  description                  = "PostgreSQL from an allowed security group"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = var.allowed_security_group_ids[count.index]
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "proxy_to_instance" {
  count = var.proxy.enabled ? 1 : 0

  security_group_id            = aws_security_group.proxy[0].id
  description                  = "PostgreSQL to the instance"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = aws_security_group.this.id
  tags                         = var.tags
}

data "aws_iam_policy_document" "proxy_assume" {
  count = var.proxy.enabled ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["rds.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current[0].account_id]
    }
  }
}

data "aws_iam_policy_document" "proxy" {
  count = var.proxy.enabled ? 1 : 0

  statement {
    sid       = "ReadLoginSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.proxy_secret_arns
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptLoginSecrets"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current[0].name}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "proxy" {
  count = var.proxy.enabled ? 1 : 0

  name_prefix        = "${substr(var.identifier, 0, 31)}-proxy-"
  description        = "RDS Proxy of ${var.identifier}: reads its two login secrets"
  assume_role_policy = data.aws_iam_policy_document.proxy_assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "proxy" {
  count = var.proxy.enabled ? 1 : 0

  name   = "login-secrets"
  role   = aws_iam_role.proxy[0].id
  policy = data.aws_iam_policy_document.proxy[0].json
}

resource "aws_db_proxy" "this" {
  count = var.proxy.enabled ? 1 : 0

  name                   = var.identifier
  engine_family          = "POSTGRESQL"
  require_tls            = true
  idle_client_timeout    = var.proxy.idle_client_timeout
  debug_logging          = var.proxy.debug_logging
  role_arn               = aws_iam_role.proxy[0].arn
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = [aws_security_group.proxy[0].id]

  dynamic "auth" {
    for_each = local.proxy_secret_arns
    content {
      auth_scheme               = "SECRETS"
      client_password_auth_type = "POSTGRES_SCRAM_SHA_256"
      iam_auth                  = "DISABLED"
      secret_arn                = auth.value
    }
  }

  tags = var.tags

  # The proxy checks at creation that its role can read the secrets.
  depends_on = [aws_iam_role_policy.proxy]
}

resource "aws_db_proxy_default_target_group" "this" {
  count = var.proxy.enabled ? 1 : 0

  db_proxy_name = aws_db_proxy.this[0].name

  connection_pool_config {
    connection_borrow_timeout    = var.proxy.connection_borrow_timeout
    max_connections_percent      = var.proxy.max_connections_percent
    max_idle_connections_percent = var.proxy.max_idle_connections_percent
  }
}

resource "aws_db_proxy_target" "this" {
  count = var.proxy.enabled ? 1 : 0

  db_proxy_name          = aws_db_proxy.this[0].name
  target_group_name      = aws_db_proxy_default_target_group.this[0].name
  db_instance_identifier = aws_db_instance.this.identifier
}

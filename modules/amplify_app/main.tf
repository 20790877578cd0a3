locals {
  # Amplify's usual single-page-app rule: paths without a file extension (or with one that is
  # not a static asset) are served /index.html, so client-side routes survive a reload.
  spa_rewrite = {
    source    = "</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|woff2|ttf|map|json|webp)$)([^.]+$)/>"
    target    = "/index.html"
    status    = "200"
    condition = null
  }

  # A server-rendered app routes its own paths: rewriting them to /index.html would break it.
  custom_rules = var.custom_rules != null ? var.custom_rules : (var.platform == "WEB" ? [local.spa_rewrite] : [])

  domain_branches = { for name, b in var.branches : name => b.domain_prefix if b.domain_prefix != null }
}

resource "aws_amplify_app" "this" {
  name                  = var.name
  description           = var.description
  platform              = var.platform
  repository            = var.repository
  access_token          = var.access_token
  build_spec            = var.build_spec
  environment_variables = var.environment_variables
  iam_service_role_arn  = var.iam_service_role_arn

  # Branches are declared here, one by one: none appears (and none is deployed) by accident.
  enable_auto_branch_creation = false
  enable_basic_auth           = false

  dynamic "custom_rule" {
    for_each = local.custom_rules
    content {
      source    = custom_rule.value.source
      target    = custom_rule.value.target
      status    = custom_rule.value.status
      condition = custom_rule.value.condition
    }
  }

  tags = var.tags

  lifecycle {
    # These rules span two variables (Terraform >= 1.7 validations see one variable only); AWS
    # would otherwise fail the connection to the repository only at apply time. Whether a token
    # is set is not secret, its value is.
    precondition {
      condition     = var.repository == null || nonsensitive(var.access_token != null)
      error_message = "access_token is required when repository is set: Amplify needs it to read the repository."
    }
    precondition {
      condition     = var.repository != null || nonsensitive(var.access_token == null)
      error_message = "access_token is only used with repository: set repository, or leave access_token null."
    }
  }
}

resource "aws_amplify_branch" "this" {
  for_each = var.branches

  app_id                      = aws_amplify_app.this.id
  branch_name                 = each.key
  description                 = each.value.description
  stage                       = each.value.stage
  framework                   = each.value.framework
  enable_auto_build           = each.value.enable_auto_build
  enable_pull_request_preview = each.value.enable_pull_request_preview
  environment_variables       = each.value.environment_variables

  enable_basic_auth      = each.value.basic_auth_credentials != null
  basic_auth_credentials = each.value.basic_auth_credentials != null ? base64encode(each.value.basic_auth_credentials) : null

  tags = var.tags

  lifecycle {
    precondition {
      condition     = !each.value.enable_pull_request_preview || var.repository != null
      error_message = "Branch \"${each.key}\": enable_pull_request_preview needs a repository (previews are built from pull requests)."
    }
  }
}

resource "aws_amplify_domain_association" "this" {
  count = var.domain_name != null ? 1 : 0

  app_id      = aws_amplify_app.this.id
  domain_name = var.domain_name

  # Apply does not wait for DNS: the records to create are in the outputs.
  wait_for_verification  = false
  enable_auto_sub_domain = false

  dynamic "sub_domain" {
    for_each = local.domain_branches
    content {
      branch_name = aws_amplify_branch.this[sub_domain.key].branch_name
      prefix      = sub_domain.value
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.domain_branches) > 0
      error_message = "domain_name needs at least one branch with domain_prefix (\"\" for the apex, \"www\", ...)."
    }
  }
}

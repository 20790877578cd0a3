# Plan/apply against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  mock_resource "aws_amplify_app" {
    defaults = {
      id             = "d1a2b3c4d5e6f7"
      arn            = "arn:aws:amplify:eu-west-1:123456789012:apps/d1a2b3c4d5e6f7"
      default_domain = "d1a2b3c4d5e6f7.amplifyapp.com"
    }
  }
  mock_resource "aws_amplify_branch" {
    defaults = {
      arn = "arn:aws:amplify:eu-west-1:123456789012:apps/d1a2b3c4d5e6f7/branches/main"
    }
  }
  mock_resource "aws_amplify_domain_association" {
    defaults = {
      arn                                 = "arn:aws:amplify:eu-west-1:123456789012:apps/d1a2b3c4d5e6f7/domains/example.com"
      certificate_verification_dns_record = "_abc.example.com. CNAME _xyz.acm-validations.aws."
    }
  }
}

variables {
  name = "storefront"
  branches = {
    main = {}
  }
}

run "defaults" {
  command = apply

  assert {
    condition     = aws_amplify_app.this.platform == "WEB" && aws_amplify_app.this.repository == null
    error_message = "The app must default to a static WEB app deployed by upload (no repository)."
  }
  assert {
    condition     = aws_amplify_app.this.access_token == null
    error_message = "No access token may be set without a repository."
  }
  assert {
    condition     = !aws_amplify_app.this.enable_auto_branch_creation && !aws_amplify_app.this.enable_basic_auth
    error_message = "Branches must not be created automatically, and the app has no app-wide basic auth."
  }
  assert {
    condition     = length(aws_amplify_app.this.custom_rule) == 1 && aws_amplify_app.this.custom_rule[0].target == "/index.html" && aws_amplify_app.this.custom_rule[0].status == "200"
    error_message = "A WEB app must get the single-page-app rewrite to /index.html by default."
  }
  assert {
    condition     = aws_amplify_branch.this["main"].stage == "PRODUCTION" && aws_amplify_branch.this["main"].enable_auto_build
    error_message = "A branch must default to the PRODUCTION stage with auto build."
  }
  assert {
    condition     = !aws_amplify_branch.this["main"].enable_basic_auth && !aws_amplify_branch.this["main"].enable_pull_request_preview
    error_message = "A branch must default to no basic auth and no pull request previews."
  }
  assert {
    condition     = length(aws_amplify_domain_association.this) == 0
    error_message = "No domain association may exist without domain_name."
  }
  assert {
    condition     = output.amplify_app_id == "d1a2b3c4d5e6f7" && output.amplify_app_default_domain == "d1a2b3c4d5e6f7.amplifyapp.com"
    error_message = "The app ID and default domain outputs must come from the app."
  }
  assert {
    condition     = output.amplify_branch_urls["main"] == "https://main.d1a2b3c4d5e6f7.amplifyapp.com" && length(output.amplify_branch_urls) == 1
    error_message = "Each branch must have its default URL."
  }
  assert {
    condition     = output.amplify_custom_domain_urls == {} && output.amplify_domain_certificate_verification_dns_record == null
    error_message = "The custom domain outputs must be empty without domain_name."
  }
}

run "web_compute" {
  command = plan

  variables {
    platform             = "WEB_COMPUTE"
    iam_service_role_arn = "arn:aws:iam::123456789012:role/amplify-ssr-logs"
    branches = {
      main = { framework = "Next.js - SSR" }
    }
  }

  assert {
    condition     = aws_amplify_app.this.platform == "WEB_COMPUTE" && aws_amplify_branch.this["main"].framework == "Next.js - SSR"
    error_message = "A WEB_COMPUTE app must keep its platform and the branch framework."
  }
  assert {
    condition     = length(aws_amplify_app.this.custom_rule) == 0
    error_message = "A server-rendered app must get no SPA rewrite by default."
  }
  assert {
    condition     = aws_amplify_app.this.iam_service_role_arn == "arn:aws:iam::123456789012:role/amplify-ssr-logs"
    error_message = "The service role must be passed to the app."
  }
}

run "repository_with_token" {
  command = plan

  variables {
    repository   = "https://github.com/example/storefront"
    access_token = "github_pat_example"
    build_spec   = "version: 1\nfrontend:\n  phases:\n    build:\n      commands: [npm ci, npm run build]\n  artifacts:\n    baseDirectory: dist\n    files: ['**/*']\n"
    environment_variables = {
      API_URL = "https://api.example.com"
    }
    branches = {
      main = {}
      develop = {
        stage                       = "DEVELOPMENT"
        enable_pull_request_preview = true
        environment_variables       = { API_URL = "https://api.dev.example.com" }
      }
    }
  }

  assert {
    condition     = aws_amplify_app.this.repository == "https://github.com/example/storefront"
    error_message = "The app must be connected to the repository."
  }
  assert {
    condition     = nonsensitive(aws_amplify_app.this.access_token == "github_pat_example")
    error_message = "The access token must be passed to the app."
  }
  assert {
    condition     = startswith(aws_amplify_app.this.build_spec, "version: 1") && aws_amplify_app.this.environment_variables["API_URL"] == "https://api.example.com"
    error_message = "The build spec and app environment variables must be set."
  }
  assert {
    condition     = aws_amplify_branch.this["develop"].enable_pull_request_preview && aws_amplify_branch.this["develop"].environment_variables["API_URL"] == "https://api.dev.example.com"
    error_message = "Branch settings must be applied per branch."
  }
}

run "branches_with_basic_auth" {
  command = apply

  variables {
    branches = {
      main = { stage = "PRODUCTION" }
      "feature/login" = {
        stage                  = "BETA"
        basic_auth_credentials = "review:correct-horse-battery"
      }
    }
  }

  assert {
    condition     = aws_amplify_branch.this["feature/login"].enable_basic_auth
    error_message = "Basic auth must be on for the branch with credentials."
  }
  assert {
    condition     = nonsensitive(aws_amplify_branch.this["feature/login"].basic_auth_credentials == base64encode("review:correct-horse-battery"))
    error_message = "The credentials must be passed base64-encoded, as Amplify expects."
  }
  assert {
    condition     = !aws_amplify_branch.this["main"].enable_basic_auth
    error_message = "The production branch must stay public."
  }
  assert {
    condition     = output.amplify_branch_urls["feature/login"] == "https://feature-login.d1a2b3c4d5e6f7.amplifyapp.com"
    error_message = "A '/' in a branch name must become '-' in its URL."
  }
}

run "custom_domain" {
  command = apply

  variables {
    domain_name = "example.com"
    branches = {
      main    = { domain_prefix = "" }
      staging = { stage = "BETA", domain_prefix = "staging" }
      preview = { stage = "EXPERIMENTAL" }
    }
  }

  assert {
    condition     = aws_amplify_domain_association.this[0].domain_name == "example.com" && !aws_amplify_domain_association.this[0].wait_for_verification
    error_message = "The domain must be associated without blocking the apply on DNS."
  }
  assert {
    condition     = length(aws_amplify_domain_association.this[0].sub_domain) == 2
    error_message = "Only the branches with a domain_prefix may get a sub-domain."
  }
  assert {
    condition     = output.amplify_custom_domain_urls == tomap({ main = "https://example.com", staging = "https://staging.example.com" })
    error_message = "Each mapped branch must have its custom-domain URL."
  }
  assert {
    condition     = output.amplify_domain_certificate_verification_dns_record == "_abc.example.com. CNAME _xyz.acm-validations.aws."
    error_message = "The certificate verification record must be an output."
  }
}

run "custom_rules" {
  command = plan

  variables {
    custom_rules = [
      { source = "/old", target = "/new", status = "301" },
      { source = "/<*>", target = "/index.html", status = "404-200" },
    ]
  }

  assert {
    condition     = [for r in aws_amplify_app.this.custom_rule : r.status] == ["301", "404-200"]
    error_message = "Given rules must replace the default, in order."
  }
}

# One run per rule: each proves the rule rejects a bad value before AWS sees it.

run "reject_name" {
  command = plan
  variables {
    name = ""
  }
  expect_failures = [var.name]
}

run "reject_description" {
  command = plan
  variables {
    description = join("", [for i in range(1001) : "x"])
  }
  expect_failures = [var.description]
}

run "reject_platform" {
  command = plan
  variables {
    platform = "SSR"
  }
  expect_failures = [var.platform]
}

run "reject_repository" {
  command = plan
  variables {
    repository   = "git@github.com:example/storefront.git"
    access_token = "github_pat_example"
  }
  expect_failures = [var.repository]
}

run "reject_empty_access_token" {
  command = plan
  variables {
    repository   = "https://github.com/example/storefront"
    access_token = " "
  }
  expect_failures = [var.access_token]
}

run "reject_iam_service_role_arn" {
  command = plan
  variables {
    iam_service_role_arn = "amplify-role"
  }
  expect_failures = [var.iam_service_role_arn]
}

run "reject_branch_name" {
  command = plan
  variables {
    branches = { "" = {} }
  }
  expect_failures = [var.branches]
}

run "reject_branch_stage" {
  command = plan
  variables {
    branches = { main = { stage = "PROD" } }
  }
  expect_failures = [var.branches]
}

run "reject_basic_auth_on_production" {
  command = plan
  variables {
    branches = { main = { stage = "PRODUCTION", basic_auth_credentials = "user:secret-password" } }
  }
  expect_failures = [var.branches]
}

run "reject_basic_auth_format" {
  command = plan
  variables {
    branches = { develop = { stage = "DEVELOPMENT", basic_auth_credentials = "no-colon" } }
  }
  expect_failures = [var.branches]
}

run "reject_domain_prefix" {
  command = plan
  variables {
    branches = { main = { domain_prefix = "www.shop" } }
  }
  expect_failures = [var.branches]
}

run "reject_custom_rule_status" {
  command = plan
  variables {
    custom_rules = [{ source = "/a", target = "/b", status = "307" }]
  }
  expect_failures = [var.custom_rules]
}

run "reject_custom_rule_empty" {
  command = plan
  variables {
    custom_rules = [{ source = "", target = "/b" }]
  }
  expect_failures = [var.custom_rules]
}

run "reject_domain_name" {
  command = plan
  variables {
    domain_name = "https://example.com"
  }
  expect_failures = [var.domain_name]
}

run "reject_repository_without_access_token" {
  command = plan
  variables {
    repository = "https://github.com/example/storefront"
  }
  expect_failures = [aws_amplify_app.this]
}

run "reject_access_token_without_repository" {
  command = plan
  variables {
    access_token = "github_pat_example"
  }
  expect_failures = [aws_amplify_app.this]
}

run "reject_pull_request_preview_without_repository" {
  command = plan
  variables {
    branches = { develop = { stage = "DEVELOPMENT", enable_pull_request_preview = true } }
  }
  expect_failures = [aws_amplify_branch.this]
}

run "reject_domain_without_mapped_branch" {
  command = plan
  variables {
    domain_name = "example.com"
  }
  expect_failures = [aws_amplify_domain_association.this]
}

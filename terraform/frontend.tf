# The Amplify frontend (optional). `deployer publish` deploys its files with a config.json
# made from this stack's outputs; a Git-connected app (frontend.repository) builds itself
# and gets the API's URL as the branch's environment variable api_url_variable.

locals {
  # The branch's own URL (Amplify writes '/' in a branch name as '-'), the origin the API
  # must allow. From the app alone, not the branch: the branch takes the API's URL, and the
  # API takes this origin.
  frontend_origins = var.frontend.enabled ? ["https://${replace(var.frontend.branch, "/", "-")}.${module.frontend[0].amplify_app_default_domain}"] : []
}

module "frontend" {
  source = "../modules/amplify_app"
  count  = var.frontend.enabled ? 1 : 0

  name                  = local.name_prefix
  platform              = var.frontend.platform
  repository            = var.frontend.repository
  access_token          = var.frontend_access_token
  build_spec            = var.frontend.build_spec
  environment_variables = var.frontend.environment_variables
  branches = {
    (var.frontend.branch) = {
      stage     = var.frontend.stage
      framework = var.frontend.framework
      environment_variables = {
        (var.frontend.api_url_variable) = module.api.api_stage_invoke_url
      }
    }
  }
}

# The Amplify frontend (optional): the API URL reaches the build as an environment variable.

module "frontend" {
  source = "../modules/amplify_app"
  count  = var.frontend.enabled ? 1 : 0

  name         = local.name_prefix
  platform     = var.frontend.platform
  repository   = var.frontend.repository
  access_token = var.frontend_access_token
  build_spec   = var.frontend.build_spec
  environment_variables = merge(var.frontend.environment_variables, {
    (var.frontend.api_url_variable) = module.api.api_stage_invoke_url
  })
  branches = {
    (var.frontend.branch) = {
      stage     = var.frontend.stage
      framework = var.frontend.framework
    }
  }
}

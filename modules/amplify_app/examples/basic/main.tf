# A single-page app hosted on Amplify and deployed by upload (no Git connection): a public
# production branch and a password-protected staging branch. Run from this folder:
# terraform init && terraform plan (needs AWS credentials).

provider "aws" {
  region = "eu-west-1"
}

module "frontend" {
  source = "../.."

  name = "example-frontend"

  environment_variables = {
    VITE_API_URL = "https://api.example.com"
  }

  branches = {
    main = {
      stage = "PRODUCTION"
    }
    staging = {
      stage                  = "BETA"
      basic_auth_credentials = var.staging_basic_auth
    }
  }

  tags = {
    Project = "example"
  }
}

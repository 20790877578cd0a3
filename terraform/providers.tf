provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      app         = var.app
      environment = var.environment
      managed-by  = "deployer"
    })
  }
}

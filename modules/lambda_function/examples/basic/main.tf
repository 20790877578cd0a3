# The smallest real call: a Python function from a zip built by `deployer package`, allowed
# to read one DynamoDB table. Validate with `terraform init && terraform validate`.

provider "aws" {
  region = "eu-west-1"
}

module "function" {
  source = "../.."

  function_name    = "example-items"
  description      = "Items API"
  filename         = "${path.module}/items.zip"
  source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  handler          = "handler.handler"

  environment_variables = {
    LOG_LEVEL = "INFO"
  }

  policy_statements = [{
    sid       = "ReadItems"
    actions   = ["dynamodb:GetItem", "dynamodb:Query"]
    resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/items"]
  }]

  tags = {
    app = "example"
  }
}

"""deployer: ship a serverless web app to AWS with Terraform, one environment at a time."""

__version__ = "0.1.0"

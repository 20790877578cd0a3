"""modules/amplify_app through real Terraform and the AWS provider against the emulator's
Amplify: apply, a second plan with no changes, the branch URL it prints serves the site,
destroy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from helpers.amplify_sites import SPA_RULE, deploy, fetch
from helpers.emulator import REGION, aws
from helpers.paths import REPO_ROOT
from helpers.terraform_driver import run_terraform

from deployer.emulator.state import state_dir

ROOT_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "frontend" {
  source = "MODULE"

  name        = "module-shop"
  description = "The shop's frontend"
  environment_variables = {
    API_URL = "http://127.0.0.1/api"
  }
  branches = {
    main = {
      stage                 = "PRODUCTION"
      environment_variables = { BRANCH_FLAG = "on" }
    }
  }
  tags = {
    env = "local"
  }
}

output "app_id" {
  value = module.frontend.amplify_app_id
}

output "branch_urls" {
  value = module.frontend.amplify_branch_urls
}
"""


@pytest.mark.slow
def test_the_module_applies_replans_clean_serves_and_destroys(
    server, emulator_project, terraform_env, tmp_path: Path
):
    from deployer.aws.process_env import emulated_environment

    folder = tmp_path / "tf"
    folder.mkdir()
    module = REPO_ROOT / "modules" / "amplify_app"
    (folder / "main.tf").write_text(ROOT_TF.replace("MODULE", str(module)), encoding="utf-8")
    env = emulated_environment(server.endpoint, REGION, terraform_env)

    init = run_terraform(folder, env, "init")
    assert init.returncode == 0, init.stdout[-3000:] + init.stderr
    applied = run_terraform(folder, env, "apply", "-auto-approve")
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
    planned = run_terraform(folder, env, "plan", "-detailed-exitcode")
    assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr

    outputs = json.loads(run_terraform(folder, env, "output", "-json").stdout)
    app_id = outputs["app_id"]["value"]
    amplify = aws(server, "amplify")
    app = amplify.get_app(appId=app_id)["app"]
    assert app["customRules"] == [SPA_RULE]
    assert app["environmentVariables"] == {"API_URL": "http://127.0.0.1/api"}
    assert app["tags"] == {"env": "local"}
    branch = amplify.get_branch(appId=app_id, branchName="main")["branch"]
    assert branch["stage"] == "PRODUCTION"
    assert branch["environmentVariables"] == {"BRANCH_FLAG": "on"}
    assert branch["tags"] == {"env": "local"}

    # The URL the module prints is where the branch's site is served.
    url = outputs["branch_urls"]["value"]["main"]
    assert url == f"https://main.{app_id}.amplifyapp.localhost:{server.port}"
    deploy(amplify, app_id, "main", {"index.html": "<h1>from terraform</h1>"})
    ca = state_dir(emulator_project) / "tls" / "ca.pem"
    host = url.removeprefix("https://")
    assert fetch(server, ca, host, "/orders/7")[:3:2] == (200, b"<h1>from terraform</h1>")
    # A deployment is no change to Terraform.
    again = run_terraform(folder, env, "plan", "-detailed-exitcode")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr

    destroyed = run_terraform(folder, env, "destroy", "-auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout[-3000:] + destroyed.stderr
    with pytest.raises(ClientError) as gone:
        amplify.get_app(appId=app_id)
    assert gone.value.response["Error"]["Code"] == "NotFoundException"

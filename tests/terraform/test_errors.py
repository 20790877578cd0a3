"""Terraform's failures as deployer errors (deployer.terraform.errors): each names the
command, the exit code, what Terraform said, and the fix."""

from __future__ import annotations

import json
import os
import signal

import pytest
from helpers.terraform_driver import LOCK_INFO, start_sleeping_apply

from deployer.common.errors import DeployerError
from deployer.terraform.adapter import (
    ProviderRegistryUnreachableError,
    StateLockedError,
    Terraform,
    TerraformError,
)
from deployer.terraform.errors import display_command, parse_lock_info


def test_terraform_error_names_command_exit_code_and_stderr_tail():
    argv = ["/usr/bin/terraform", "init", "-input=false", "-var=password=hunter2",
            "-backend-config=secret_key=abc123", "-backend-config=/x/dev.backend.hcl"]  # fmt: skip
    command = display_command(argv)
    assert command == (
        "terraform init -input=false -var=<hidden> -backend-config=secret_key=<hidden> "
        "-backend-config=/x/dev.backend.hcl"
    )
    stderr = "\n".join(f"line {i}" for i in range(30)) + "\n╷\n│ Error: boom\n│ \n│   details\n╵\n"
    error = TerraformError(command, 1, stderr)
    assert isinstance(error, DeployerError)
    assert error.exit_code == 1
    head, *tail = error.message.splitlines()
    assert head == f"`{command}` failed with exit code 1; Terraform said:"
    assert tail[-2:] == ["  Error: boom", "  details"]
    assert len(tail) == 20 and tail[0] == "  line 12"
    assert "hunter2" not in error.message and "abc123" not in error.message
    assert TerraformError("terraform validate", 3, "").message == (
        "`terraform validate` failed with exit code 3."
    )


def test_lock_info_is_parsed_from_terraforms_message():
    text = (
        "╷\n│ Error: Error acquiring the state lock\n│ \n│ Lock Info:\n"
        "│   ID:        4418bda6-8b67-32bc-4824-13c7adbd6210\n│   Path:      terraform.tfstate\n"
        "│   Operation: OperationTypeApply\n│   Who:       alice@laptop\n│   Info:      \n╵\n"
    )
    assert parse_lock_info(text) == {
        "ID": "4418bda6-8b67-32bc-4824-13c7adbd6210",
        "Path": "terraform.tfstate",
        "Operation": "OperationTypeApply",
        "Who": "alice@laptop",
        "Info": "",
    }


@pytest.mark.parametrize("mirror", [False, True], ids=["no-mirror", "mirror"])
def test_init_that_cannot_reach_the_registry_says_what_to_configure(
    tmp_path, terraform_env, mirror
):
    stack = tmp_path / "aws_stack"
    stack.mkdir()
    (stack / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n',
        encoding="utf-8",
    )
    # A CLI config with no mirror in it: the AWS provider can only come from the registry.
    config = tmp_path / "plain.tfrc"
    config.write_text("", encoding="utf-8")
    env = dict(terraform_env, HOME=str(tmp_path), TF_CLI_CONFIG_FILE=str(config))
    # A closed local port as proxy: the registry is unreachable at once, online or not.
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="")
    tf = Terraform(
        stack, data_dir=tmp_path / "d", env=env, cli_config=config if mirror else None, stream=None
    )
    with pytest.raises(ProviderRegistryUnreachableError) as caught:
        tf.init()
    message = caught.value.message
    assert message.startswith("terraform init could not reach the provider registry")
    if mirror:
        assert "the configured offline mirror does not hold" in message
    else:
        assert "no provider mirror is configured" in message
        assert "DEPLOYER_PROVIDER_MIRROR" in message
        assert "`provider_mirror` under [tool.deployer]" in message
    assert "registry.terraform.io" in message  # Terraform's own words follow


# --- a held lock, in a driver process ----------------------------------------------------------


def test_a_second_run_is_refused_while_the_first_holds_the_lock(
    stack, tmp_path, shim_env, terraform_env
):
    driver = start_sleeping_apply(stack, tmp_path, shim_env)
    try:
        holder = json.loads((stack / LOCK_INFO).read_text(encoding="utf-8"))
        tf = Terraform(stack, data_dir=tmp_path / "tfdata", env=terraform_env, stream=None)
        with pytest.raises(StateLockedError) as caught:
            tf.plan(out=tmp_path / "second.tfplan")
    finally:
        os.kill(driver.proc.pid, signal.SIGTERM)
        driver.finish()
    error = caught.value
    assert error.lock_id == holder["ID"]
    assert error.who == holder["Who"]
    assert error.operation == "OperationTypeApply"
    assert holder["ID"] in error.message
    assert "--lock-timeout 30s" in error.message
    assert f"force-unlock {holder['ID']}" in error.message
    assert error.message.startswith(f"The state is locked by {holder['Who']} (lock ID ")

"""The Terraform adapter (deployer.terraform.adapter) against the real binary and a stack
of Terraform built-ins (tests/fixtures/builtin_stack, the `stack` fixture).

Its errors are tested in test_errors.py, the redaction of sensitive values in
test_sensitive.py, and the interrupt forwarding of the process runner under it in
tests/common/test_processes.py.
"""

from __future__ import annotations

import json
import os
import secrets
import signal

import pytest
from helpers.terraform_driver import var_file
from python_terraform import IsFlagged

from deployer.terraform.adapter import (
    SENSITIVE,
    StalePlanError,
    Terraform,
    TerraformError,
    _CommandLine,
)


@pytest.fixture
def lines() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def tf(stack, tmp_path, terraform_env, terraform_cli_config, lines) -> Terraform:
    """An adapter over the fixture stack, initialised, collecting streamed lines."""
    adapter = Terraform(
        stack,
        data_dir=tmp_path / "tfdata",
        env=terraform_env,
        cli_config=terraform_cli_config,
        stream=lambda line, channel: lines.append((channel, line)),
        color=False,
    )
    adapter.init()
    return adapter


# --- commands and results ------------------------------------------------------------------

# --- commands and results ------------------------------------------------------------------


def test_plan_exit_codes_are_mapped_exactly(tf, tmp_path):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    changes = tf.plan(out=tmp_path / "one.tfplan")
    assert (changes.returncode, changes.has_changes) == (2, True)
    assert "-detailed-exitcode" in changes.argv
    tf.apply_plan(changes.plan_file)

    same = tf.plan(out=tmp_path / "two.tfplan")
    assert (same.returncode, same.has_changes) == (0, False)
    assert "No changes." in same.stdout

    bad = var_file(tmp_path, sleep_seconds="not a number")
    with pytest.raises(TerraformError) as caught:
        tf.plan(out=tmp_path / "three.tfplan", var_files=[bad])
    assert type(caught.value) is TerraformError  # an error, not "changes"
    assert caught.value.returncode == 1
    assert "failed with exit code 1" in caught.value.message
    assert "sleep_seconds" in caught.value.message
    # The handlers installed around each run are gone afterwards.
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_every_command_runs_without_input_and_with_the_environment_for_children_only(
    tf, stack, tmp_path, terraform_cli_config
):
    plan = tf.plan(out=tmp_path / "p.tfplan")
    applied = tf.apply_plan(plan.plan_file)
    for result in (plan, applied):
        assert "-input=false" in result.argv
        assert "-no-color" in result.argv
    assert "TF_DATA_DIR" not in os.environ
    assert os.environ.get("TF_CLI_CONFIG_FILE") != str(terraform_cli_config)
    env = tf.child_env()
    assert env["TF_DATA_DIR"] == str(tmp_path / "tfdata")
    assert env["TF_CLI_CONFIG_FILE"] == str(terraform_cli_config)
    assert env["TF_IN_AUTOMATION"] == "1"
    # The backend settings went to the per-environment data dir, not to the stack.
    assert (tmp_path / "tfdata" / "terraform.tfstate").is_file()
    assert not (stack / ".terraform").exists()
    assert tf.version()["terraform_version"] == tf.binary.version_text


def test_saved_plan_is_applied_exactly_with_no_variables(tf, stack, tmp_path):
    vars_two = var_file(tmp_path, revision="two")
    plan = tf.plan(out=tmp_path / "two.tfplan", var_files=[vars_two])
    result = tf.apply_plan(plan.plan_file)

    assert result.argv[-1] == str(plan.plan_file)
    assert not [a for a in result.argv if a.startswith(("-var", "-var-file"))]
    assert "Apply complete! Resources: 3 added" in result.stdout
    assert tf.output_json()["revision"]["value"] == "two"


def test_an_apply_keeps_its_outputs_section_but_does_not_stream_it(tf, tmp_path, lines):
    # The deployer prints the outputs itself after an apply: Terraform's copy would be a
    # second one.
    plan = tf.plan(out=tmp_path / "two.tfplan", var_files=[var_file(tmp_path, revision="two")])
    lines.clear()
    result = tf.apply_plan(plan.plan_file)
    streamed = [line for channel, line in lines if channel == "stdout"]
    assert any("Apply complete!" in line for line in streamed)
    assert not any("Outputs:" in line or "revision =" in line for line in streamed)
    assert "Outputs:" in result.stdout and 'revision = "two"' in result.stdout


def test_stale_saved_plan_is_refused_and_never_replaced(tf, tmp_path):
    first = tf.plan(out=tmp_path / "a.tfplan", var_files=[var_file(tmp_path, "a", revision="a")])
    second = tf.plan(out=tmp_path / "b.tfplan", var_files=[var_file(tmp_path, "b", revision="b")])
    tf.apply_plan(second.plan_file)

    with pytest.raises(StalePlanError) as caught:
        tf.apply_plan(first.plan_file)
    assert "stale" in caught.value.message
    assert "plan again" in caught.value.message
    assert tf.output_json()["revision"]["value"] == "b"  # nothing else was applied


def test_output_is_streamed_live_in_order_and_kept(stack, tmp_path, terraform_env):
    gate = tmp_path / "gate"
    seen: list[tuple[str, str]] = []

    def stream(line: str, channel: str) -> None:
        seen.append((channel, line))
        if "Executing:" in line:
            gate.touch()  # the provisioner waits for this: the line must arrive live

    tf = Terraform(stack, data_dir=tmp_path / "d", env=terraform_env, stream=stream, color=False)
    tf.init()
    gated = var_file(tmp_path, gate_file=str(gate))
    plan = tf.plan(out=tmp_path / "p.tfplan", var_files=[gated])
    seen.clear()
    result = tf.apply_plan(plan.plan_file)  # completes only if the gate opened mid-apply

    streamed = [line for channel, line in seen if channel == "stdout"]
    kept = result.stdout.splitlines()
    # Everything up to the outputs section, which the deployer prints itself.
    assert streamed == kept[: kept.index("Outputs:")]
    order = [
        next(i for i, line in enumerate(streamed) if marker in line)
        for marker in (
            "slow: Creating...",
            "Executing:",
            "slow: Creation complete",
            "Apply complete!",
        )
    ]
    assert order == sorted(order)

    streamed_so_far = len(seen)
    quiet = Terraform(stack, data_dir=tmp_path / "d", env=terraform_env, stream=None)
    assert "No changes." in quiet.plan(out=tmp_path / "q.tfplan", var_files=[gated]).stdout
    assert len(seen) == streamed_so_far  # kept, not streamed


def test_colour_is_streamed_but_never_kept(stack, tmp_path, terraform_env):
    streamed: list[str] = []
    tf = Terraform(
        stack,
        data_dir=tmp_path / "d",
        env=terraform_env,
        stream=lambda line, _: streamed.append(line),
        color=True,
    )
    result = tf.init()
    assert "-no-color" not in result.argv
    assert any("\x1b[" in line for line in streamed)
    assert "\x1b[" not in result.stdout
    assert "Terraform has been successfully initialized!" in result.stdout


def test_destroy_auto_approves_and_never_passes_force(tf, tmp_path):
    tf.apply_plan(tf.plan(out=tmp_path / "p.tfplan").plan_file)
    result = tf.destroy(var_files=[var_file(tmp_path, revision="one")])
    assert "-auto-approve" in result.argv
    assert "-force" not in result.argv
    assert "Destroy complete! Resources: 3 destroyed." in result.stdout
    assert tf.output_json() == {}


def test_force_unlock_reaches_terraform(tf):
    with pytest.raises(TerraformError) as caught:
        tf.force_unlock("00000000-0000-0000-0000-000000000000")
    assert "terraform force-unlock -force -no-color 00000000" in caught.value.message
    assert "not locked" in caught.value.message


def test_sensitive_values_never_leave_the_adapter(stack, tmp_path, terraform_env):
    first, second = f"SENTINEL-{secrets.token_hex(8)}", f"SENTINEL-{secrets.token_hex(8)}"
    shown: list[str] = []

    def adapter(mask=()):
        return Terraform(
            stack,
            data_dir=tmp_path / "d",
            env=terraform_env,
            stream=lambda line, _: shown.append(line),
            color=False,
            mask=mask,
        )

    tf = adapter()
    tf.init()
    plan = tf.plan(out=tmp_path / "1.tfplan", var_files=[var_file(tmp_path, "1", secret=first)])
    everything = [
        plan.stdout,
        plan.stderr,
        tf.show_text(plan.plan_file),
        json.dumps(tf.show_json(plan.plan_file)),
        tf.apply_plan(plan.plan_file).stdout,
        json.dumps(tf.show_json()),
        json.dumps(tf.output_json()),
        *shown,
    ]
    assert not [text for text in everything if first in text]
    assert tf.output_json()["secret"]["value"] == SENSITIVE
    # The value is really there (the test proves something): in clear in Terraform's JSON.
    assert first in json.dumps(tf.show_json(plan.plan_file, redact=False))

    # Changing the secret: Terraform prints the old one in clear through terraform_data's
    # `output`, which its schema does not mark sensitive. Values the caller names are masked.
    change = var_file(tmp_path, "2", secret=second)
    assert first in adapter().plan(out=tmp_path / "leak.tfplan", var_files=[change]).stdout
    shown.clear()
    tf = adapter(mask=[first, second])
    plan = tf.plan(out=tmp_path / "2.tfplan", var_files=[change])
    masked = [plan.stdout, tf.show_text(plan.plan_file), json.dumps(tf.show_json(plan.plan_file))]
    masked += [tf.apply_plan(plan.plan_file).stdout, *shown]
    assert not [text for text in masked if first in text or second in text]
    assert SENSITIVE in plan.stdout


def test_python_terraform_defaults_that_terraform_1x_rejects_are_worked_around(tf, tmp_path):
    """What python-terraform 0.10.1 builds on its own, and why the adapter overrides it."""
    builder = _CommandLine("terraform")
    assert "-force" in builder.destroy()  # removed in Terraform 0.15
    assert builder.cmd("plan", synchronous=False) == ["terraform", "plan"]  # not a flag
    assert not [a for a in builder.plan() if a.startswith("-var")]  # no temporary var-file
    assert builder.cmd("force-unlock", "ID", force=IsFlagged)[1] == "force-unlock"
    with pytest.raises(TerraformError) as caught:
        tf._checked(_CommandLine(tf.binary.path).destroy())
    assert "flag provided but not defined: -force" in caught.value.message

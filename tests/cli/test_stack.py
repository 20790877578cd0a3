"""`deployer validate | plan | apply | destroy | output` as a user calls them (CliRunner).

Everything runs the real Terraform on tests/fixtures/stack_project (built-ins and a local
backend): confirmations, protected-environment rules, saved plans, JSON output, and a
sensitive value that must never leave Terraform.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.stack_project import state_resources
from typer.testing import CliRunner

from deployer.cli import app

SENTINEL = "SENTINEL-7f3a9c2e-do-not-print"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def applied(root: Path, env: str) -> bool:
    return bool(state_resources(root, env))


# --- plan ------------------------------------------------------------------------------------


def test_plan_prints_terraform_output_then_the_summary(stack_project: Path) -> None:
    result = run("plan", "dev")
    assert result.exit_code == 0, result.output
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in result.stdout  # Terraform, live
    assert "Plan for dev: 3 to create, 0 to update, 0 to replace, 0 to delete" in result.stdout
    assert 'create   terraform_data.function["hello"]' in result.stdout
    assert "Saved plan: .deployer/dev/plan.tfplan" in result.stdout
    assert (stack_project / ".deployer/dev/plan.tfplan").is_file()
    assert not applied(stack_project, "dev")


def test_plan_lists_replaced_resources_first(stack_project: Path) -> None:
    assert run("apply", "dev", "--auto-approve").exit_code == 0
    (stack_project / "envs/dev.tfvars").write_text('greeting = "hi"\n', encoding="utf-8")
    result = run("plan", "dev")
    assert result.exit_code == 0, result.output
    summary = result.stdout[result.stdout.index("Plan for dev:") :]
    assert "0 to create, 0 to update, 1 to replace, 0 to delete" in summary
    lines = summary.splitlines()
    assert "1 resource(s) will be destroyed or replaced:" in lines[1]
    assert "-/+ replace  terraform_data.greeting" in lines[2]


def test_plan_json_out_and_detailed_exitcode(stack_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "dev.tfplan"
    result = run("plan", "dev", "--json", "--out", str(out), "--detailed-exitcode")
    assert result.exit_code == 2  # changes, as terraform plan -detailed-exitcode
    data = json.loads(result.stdout)  # stdout is only the JSON
    assert data["environment"] == "dev" and data["has_changes"] is True
    assert data["plan_file"] == str(out) and out.is_file()
    assert data["summary"]["counts"]["create"] == 3
    assert "Plan: 3 to add" in result.stderr  # Terraform's output went to stderr

    assert run("apply", "dev", "--plan-file", str(out), "--yes").exit_code == 0
    again = run("plan", "dev", "--detailed-exitcode")
    assert again.exit_code == 0 and "dev: no changes." in again.stdout


def test_plan_summary_md_is_written(stack_project: Path, tmp_path: Path) -> None:
    md = tmp_path / "plan.md"
    result = run("plan", "dev", "--summary-md", str(md))
    assert result.exit_code == 0, result.output
    text = md.read_text(encoding="utf-8")
    assert text.startswith("### Plan for `dev`")
    assert "3 to create" in text


def test_plan_summary_md_is_written_on_failure_too(stack_project: Path, tmp_path: Path) -> None:
    (stack_project / "terraform" / "broken.tf").write_text(
        'resource "terraform_data" "broken" {\n  input = var.nope\n}\n', encoding="utf-8"
    )
    md = tmp_path / "plan.md"
    result = run("plan", "dev", "--summary-md", str(md))
    assert result.exit_code == 1
    assert "error:" in result.stderr and "var.nope" in result.stderr
    text = md.read_text(encoding="utf-8")
    assert text.startswith("### :x: Plan failed for `dev`")
    assert "nope" in text


def test_plan_summary_md_is_written_for_an_unknown_environment(
    stack_project: Path, tmp_path: Path
) -> None:
    # CI posts whatever the plan step wrote: a typo in the branch map must still reach the PR.
    md = tmp_path / "plan.md"
    result = run("plan", "nosuchenv", "--summary-md", str(md))
    assert result.exit_code == 2
    text = md.read_text(encoding="utf-8")
    assert text.startswith("### :x: Plan failed for `nosuchenv`")
    assert "Unknown environment 'nosuchenv'" in text


def test_plan_refuses_bad_tfvars_before_terraform_runs(stack_project: Path) -> None:
    (stack_project / "envs/dev.tfvars").write_text('greting = "x"\n', encoding="utf-8")
    result = run("plan", "dev")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: envs/dev.tfvars:1: unknown variable 'greting' (did you mean \"greeting\"?): "
        "terraform/ declares no such variable; fix its name."
    )
    assert not (stack_project / ".deployer/dev/tfdata").exists()


def test_plan_of_an_unknown_environment(stack_project: Path) -> None:
    result = run("plan", "staging")
    assert result.exit_code == 2
    assert "Unknown environment 'staging'" in result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "staging"], "Unknown environment 'staging'"),
        (["plan"], "Name the environment to plan"),
        (["plan", "dev", "--lock-timout", "5m"], "No such option"),  # a typo, seen by Typer
        (["plan", "dev", "--all"], "either environment names or --all"),
    ],
)
def test_bad_input_under_detailed_exitcode_is_3_not_2(
    stack_project: Path, argv: list[str], message: str
) -> None:
    # Exit 2 means "changes present" to a drift job: a typo must not read as drift.
    result = run(*argv, "--detailed-exitcode")
    assert result.exit_code == 3, result.output
    assert message in result.output
    assert run(*argv).exit_code == 2  # without the flag: the usual code for bad input


def test_bad_tfvars_under_detailed_exitcode_is_3(stack_project: Path) -> None:
    (stack_project / "envs/dev.tfvars").write_text('greting = "x"\n', encoding="utf-8")
    result = run("plan", "dev", "--detailed-exitcode")
    assert result.exit_code == 3
    assert "unknown variable 'greting'" in result.stderr


def test_a_terraform_error_under_detailed_exitcode_is_1(stack_project: Path) -> None:
    (stack_project / "terraform" / "broken.tf").write_text(
        'resource "terraform_data" "broken" {\n  input = var.nope\n}\n', encoding="utf-8"
    )
    result = run("plan", "dev", "--detailed-exitcode")
    assert result.exit_code == 1
    assert "var.nope" in result.stderr


def test_the_detailed_exit_codes_are_in_the_help(stack_project: Path) -> None:
    result = run("plan", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "0 no changes, 1 error, 2 changes present, 3 bad input or usage" in text


# --- plan --all ------------------------------------------------------------------------------


def test_plan_all_keeps_outputs_apart_and_ends_with_a_table(stack_project: Path) -> None:
    result = run("plan", "--all")
    assert result.exit_code == 0, result.output
    out = result.stdout
    blocks = {}
    for env in ("dev", "qa", "prod"):
        start = out.index(f"─ {env} ─")
        blocks[env] = start
    order = sorted(blocks, key=blocks.get)
    table = out.index("environment")
    for i, env in enumerate(order):
        end = blocks[order[i + 1]] if i + 1 < len(order) else table
        block = out[blocks[env] : end]
        assert f'"hello {env}"' in block  # this environment's plan, whole...
        others = [e for e in blocks if e != env]
        assert not any(f'"hello {o}"' in block for o in others)  # ...and only its own
        assert f"Plan for {env}: 3 to create" in block
    summary = out[table:]
    for env in ("dev", "qa", "prod"):
        assert env in summary
    assert summary.count("changes") == 3


def test_plan_all_json_and_a_failing_environment(stack_project: Path) -> None:
    (stack_project / "envs/qa.tfvars").write_text("greeting = 1\nnope = 2\n", encoding="utf-8")
    result = run("plan", "--all", "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert [d["environment"] for d in data] == ["dev", "prod", "qa"]
    by_env = {d["environment"]: d for d in data}
    assert by_env["dev"]["ok"] and by_env["dev"]["has_changes"]
    assert by_env["prod"]["ok"]
    assert not by_env["qa"]["ok"] and "unknown variable 'nope'" in by_env["qa"]["error"]


def test_plan_all_detailed_exitcode_is_2_when_any_environment_has_changes(
    stack_project: Path,
) -> None:
    result = run("plan", "--all", "--detailed-exitcode", "--json")
    assert result.exit_code == 2, result.output
    assert all(d["ok"] and d["has_changes"] for d in json.loads(result.stdout))
    assert run("plan", "--all").exit_code == 0  # without the flag, changes are success


def test_plan_many_detailed_exitcode_is_0_only_when_none_has_changes(stack_project: Path) -> None:
    assert run("apply", "dev", "--auto-approve").exit_code == 0
    assert run("apply", "qa", "--auto-approve").exit_code == 0
    settled = run("plan", "dev", "qa", "--detailed-exitcode")
    assert settled.exit_code == 0, settled.output
    (stack_project / "envs/qa.tfvars").write_text('greeting = "changed"\n', encoding="utf-8")
    assert run("plan", "dev", "qa", "--detailed-exitcode").exit_code == 2


def test_plan_all_detailed_exitcode_gives_the_failures_code(stack_project: Path) -> None:
    (stack_project / "envs/qa.tfvars").write_text("nope = 2\n", encoding="utf-8")
    bad_input = run("plan", "--all", "--detailed-exitcode")
    assert bad_input.exit_code == 3, bad_input.output  # bad input, though dev has changes
    (stack_project / "envs/qa.tfvars").write_text("", encoding="utf-8")
    (stack_project / "terraform" / "broken.tf").write_text(
        'resource "terraform_data" "broken" {\n  input = var.nope\n}\n', encoding="utf-8"
    )
    error = run("plan", "--all", "--detailed-exitcode")
    assert error.exit_code == 1, error.output


def test_plan_all_refuses_out(stack_project: Path) -> None:
    result = run("plan", "--all", "--out", "x.tfplan")
    assert result.exit_code == 2 and "--out and --summary-md take one environment" in result.stderr


# --- apply -----------------------------------------------------------------------------------


def test_apply_asks_and_no_applies_nothing(stack_project: Path) -> None:
    result = run("apply", "dev", input="n\n")
    assert result.exit_code == 1
    assert "Apply this plan to dev? [y/N]" in result.output
    assert "Nothing was applied." in result.output
    assert not applied(stack_project, "dev")
    assert not (stack_project / ".deployer/dev/apply.tfplan").exists()  # removed in finally


def test_apply_confirmed_applies_and_prints_outputs(stack_project: Path) -> None:
    result = run("apply", "dev", input="y\n")
    assert result.exit_code == 0, result.output
    assert "Apply complete! Resources: 3 added" in result.stdout
    assert "Outputs of dev:" in result.stdout
    assert "hello dev from fixture-dev" in result.stdout
    assert applied(stack_project, "dev")


def test_apply_auto_approve_and_json_outputs(stack_project: Path) -> None:
    result = run("apply", "dev", "--auto-approve", "--json")
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.stdout)
    assert outputs["greeting"] == "hello dev from fixture-dev"
    assert outputs["function_names"] == {"hello": "fixture-dev-hello"}
    assert "token" not in outputs  # Terraform leaves null outputs out


def test_protected_environment_refuses_auto_approve(stack_project: Path) -> None:
    result = run("apply", "prod", "--auto-approve")
    assert result.exit_code == 2
    assert "prod is protected: --auto-approve is refused" in result.stderr
    assert not (stack_project / ".deployer/prod").exists()  # refused before anything ran


def test_protected_environment_refuses_an_apply_without_saved_plan(stack_project: Path) -> None:
    result = run("apply", "prod", input="y\n")
    assert result.exit_code == 2
    assert "prod is protected: it applies only a saved plan" in result.stderr
    assert not applied(stack_project, "prod")


def test_protected_environment_applies_a_saved_plan_once_confirmed(
    stack_project: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "prod.tfplan"
    assert run("plan", "prod", "--out", str(plan_file)).exit_code == 0

    declined = run("apply", "prod", "--plan-file", str(plan_file), input="n\n")
    assert declined.exit_code == 1 and "Nothing was applied." in declined.output
    assert not applied(stack_project, "prod")

    confirmed = run("apply", "prod", "--plan-file", str(plan_file), input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "Apply complete!" in confirmed.stdout and applied(stack_project, "prod")
    assert plan_file.is_file()  # the user's plan file is theirs to keep


def test_protected_environment_applies_a_saved_plan_with_yes(
    stack_project: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "prod.tfplan"
    assert run("plan", "prod", "--out", str(plan_file)).exit_code == 0
    result = run("apply", "prod", "--plan-file", str(plan_file), "--yes")
    assert result.exit_code == 0, result.output
    assert "Apply this plan" not in result.output
    assert applied(stack_project, "prod")


def test_a_stale_saved_plan_is_refused(stack_project: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "dev.tfplan"
    assert run("plan", "dev", "--out", str(plan_file)).exit_code == 0
    assert run("apply", "dev", "--auto-approve").exit_code == 0
    result = run("apply", "dev", "--plan-file", str(plan_file), "--yes")
    assert result.exit_code == 1
    assert "The saved plan is stale" in result.stderr
    assert "plan again, review, and apply the new plan" in result.stderr


def test_a_plan_of_another_environment_is_refused(stack_project: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "dev.tfplan"
    assert run("plan", "dev", "--out", str(plan_file)).exit_code == 0
    result = run("apply", "prod", "--plan-file", str(plan_file), "--yes")
    assert result.exit_code == 2
    assert "was made for environment 'dev', not 'prod'" in result.stderr
    assert not applied(stack_project, "prod") and not applied(stack_project, "dev")


# --- destroy ---------------------------------------------------------------------------------


def test_destroy_asks_for_the_environment_name(stack_project: Path) -> None:
    assert run("apply", "dev", "--auto-approve").exit_code == 0
    wrong = run("destroy", "dev", input="prod\n")
    assert wrong.exit_code == 2
    assert "Type the environment's name (dev)" in wrong.output
    assert "You typed 'prod', not 'dev': nothing was destroyed." in wrong.stderr
    assert applied(stack_project, "dev")

    right = run("destroy", "dev", input="dev\n")
    assert right.exit_code == 0, right.output
    assert "Apply complete! Resources: 0 added, 0 changed, 3 destroyed." in right.stdout
    assert not applied(stack_project, "dev")


def test_destroy_with_confirm(stack_project: Path) -> None:
    assert run("apply", "dev", "--auto-approve").exit_code == 0
    mismatch = run("destroy", "dev", "--confirm", "qa")
    assert mismatch.exit_code == 2 and "--confirm qa does not match" in mismatch.stderr
    result = run("destroy", "dev", "--confirm", "dev", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"environment": "dev", "destroyed": 3}
    assert not applied(stack_project, "dev")


def test_destroy_of_a_protected_environment(stack_project: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "prod.tfplan"
    assert run("plan", "prod", "--out", str(plan_file)).exit_code == 0
    assert run("apply", "prod", "--plan-file", str(plan_file), "--yes").exit_code == 0

    refused = run("destroy", "prod", "--confirm", "prod")
    assert refused.exit_code == 2 and "prod is protected: destroy is refused" in refused.stderr
    assert applied(stack_project, "prod")

    allowed = run("destroy", "prod", "--allow-protected", input="prod\n")
    assert allowed.exit_code == 0, allowed.output
    assert not applied(stack_project, "prod")


# --- output, validate ------------------------------------------------------------------------


def test_output_prints_values_whole_and_literal(stack_project: Path) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-[x]-" + "z" * 90
    (stack_project / "envs/dev.tfvars").write_text(f'greeting = "{arn}"\n', encoding="utf-8")
    assert run("apply", "dev", "--auto-approve").exit_code == 0
    result = run("output", "dev")
    assert result.exit_code == 0, result.output
    assert "Outputs of dev:" in result.stdout
    # No rich markup, no :emoji: code, no wrapping: the value can be copied as printed.
    assert f"greeting = {arn} from fixture-dev" in result.stdout
    data = json.loads(run("output", "dev", "--json").stdout)
    assert data["function_names"] == {"hello": "fixture-dev-hello"}


def test_validate(stack_project: Path) -> None:
    result = run("validate", "dev")
    assert result.exit_code == 0, result.output
    assert "envs/dev.tfvars and terraform/ are valid." in result.stdout
    assert json.loads(run("validate", "dev", "--json").stdout) == {
        "environment": "dev",
        "valid": True,
    }


# --- secrets ---------------------------------------------------------------------------------


def test_a_sensitive_value_never_appears_in_output_or_files(
    stack_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_VAR_api_token", SENTINEL)
    md = tmp_path / "plan.md"
    plan_file = tmp_path / "dev.tfplan"
    results = [
        run("plan", "dev", "--summary-md", str(md), "--out", str(plan_file)),
        run("plan", "dev", "--json"),
        run("apply", "dev", "--plan-file", str(plan_file), "--yes"),
        run("output", "dev"),
        run("output", "dev", "--json"),
        run("plan", "--all", "--json"),
    ]
    (stack_project / "envs/dev.tfvars").write_text('greeting = "changed"\n', encoding="utf-8")
    results.append(run("plan", "dev", "--json", "--summary-md", str(md)))
    results.append(run("destroy", "dev", "--confirm", "dev"))
    for result in results:
        assert result.exit_code == 0, result.output
        assert SENTINEL not in result.stdout
        assert SENTINEL not in result.stderr
    outputs = json.loads(results[4].stdout)
    assert outputs["token"] == "(sensitive value)"
    # Everything the deployer wrote; Terraform's own state and binary plans hold the value
    # by design (that is what state encryption and bucket policies are for).
    written = [md, *(stack_project / ".deployer").rglob("*")]
    for path in written:
        if not path.is_file() or path.suffix == ".tfplan" or "state" in path.parts:
            continue
        assert SENTINEL.encode() not in path.read_bytes(), path


# --- a held state lock -----------------------------------------------------------------------


def test_a_held_lock_says_how_to_wait_or_unlock(stack_project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "TF_VAR_sleep_seconds": "30", "DEPLOYER_PROJECT_DIR": str(stack_project)}
    log = (tmp_path / "holder.log").open("w", encoding="utf-8")

    def holder_log() -> str:
        return (tmp_path / "holder.log").read_text(encoding="utf-8")

    holder = subprocess.Popen(
        [sys.executable, "-m", "deployer", "apply", "dev", "--auto-approve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        lock_info = stack_project / ".deployer/state/.dev.tfstate.lock.info"
        deadline = time.monotonic() + 120
        # The apply plans first and takes the lock twice: wait for the apply's own lock (the
        # slow resource is being created), not the plan's, which is released in between.
        while not (lock_info.is_file() and "terraform_data.slow[0]: Creating" in holder_log()):
            assert holder.poll() is None, holder_log()
            assert time.monotonic() < deadline, "the first apply never took the lock"
            time.sleep(0.2)

        refused = run("plan", "dev")
        assert refused.exit_code == 1
        lock_id = json.loads(lock_info.read_text(encoding="utf-8"))["ID"]
        message = refused.stderr
        assert f"lock ID {lock_id}" in message
        assert "wait for that run with `--lock-timeout 30s` (or longer)" in message
        assert f"`deployer force-unlock dev {lock_id}`" in message

        waited = run("plan", "dev", "--lock-timeout", "120s")
        assert waited.exit_code == 0, waited.output
        assert holder.wait(timeout=120) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        log.close()
    assert not lock_info.exists()

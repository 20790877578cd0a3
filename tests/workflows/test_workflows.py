"""The GitHub Actions workflows: valid and hardened (the policy tests parse the YAML).

The commands in their `run:` scripts are run in test_commands.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT
from helpers.workflows import (
    BIN,
    BRANCHES,
    GITHUB_DIR,
    WORKFLOWS,
    action_of,
    find_step,
    load_workflow,
    workflow_steps,
)

SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"


def _tool(name: str) -> str:
    found = BIN / name
    if found.is_file():
        return str(found)
    which = shutil.which(name)
    if which is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]' provides it.")
    return which


# -- validity -----------------------------------------------------------------------------


def test_the_three_workflows_exist() -> None:
    assert {"ci", "plan", "deploy"} <= set(WORKFLOWS)


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        *((path, "vendor.github-workflows") for path in WORKFLOWS.values()),
        (GITHUB_DIR / "dependabot.yml", "vendor.dependabot"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_each_file_matches_githubs_schema(path: Path, schema: str) -> None:
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_zizmor_offline_reports_no_findings() -> None:
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", str(GITHUB_DIR)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


# -- hardening policy ---------------------------------------------------------------------


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment() -> None:
    pins: dict[str, set[str]] = {}
    for name, path in WORKFLOWS.items():
        for _job_id, job, step in workflow_steps(load_workflow(name)):
            if "uses" in step:
                assert SHA_PIN.match(step["uses"]), f"{name}: {step['uses']} is not SHA-pinned"
                action, sha = step["uses"].split("@")
                pins.setdefault(action, set()).add(sha)
            assert "uses" not in job or SHA_PIN.match(job["uses"])
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"\s*(- )?uses:", line):
                assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line
    # One version of an action everywhere: a bump touches every workflow at once.
    assert {action: len(shas) for action, shas in pins.items()} == dict.fromkeys(pins, 1)
    assert {
        "actions/checkout",
        "actions/setup-python",
        "hashicorp/setup-terraform",
        "aws-actions/configure-aws-credentials",
    } <= set(pins)


def test_permissions_are_read_only_except_where_a_job_needs_more() -> None:
    for name in WORKFLOWS:
        workflow = load_workflow(name)
        assert workflow["permissions"] == {"contents": "read"}, name
        for job_id, job in workflow["jobs"].items():
            granted = job.get("permissions", {})
            assert isinstance(granted, dict), f"{name}/{job_id}: permissions must be a map"
            writes = {scope for scope, level in granted.items() if level == "write"}
            actions = {action_of(step) for step in job.get("steps", [])}
            runs = "\n".join(step.get("run", "") for step in job.get("steps", []))
            expected = set()
            if "aws-actions/configure-aws-credentials" in actions:
                expected.add("id-token")
            if "deployer github comment" in runs:
                expected.add("pull-requests")
            assert writes == expected, f"{name}/{job_id}: writes {writes}, needs {expected}"
            assert set(granted.values()) <= {"read", "write", "none"}


def test_triggers() -> None:
    assert set(load_workflow("ci")["on"]) == {"push", "pull_request"}
    assert load_workflow("plan")["on"] == {"pull_request": {"branches": list(BRANCHES)}}
    assert load_workflow("deploy")["on"] == {"push": {"branches": list(BRANCHES)}}
    for name, path in WORKFLOWS.items():
        text = path.read_text(encoding="utf-8")
        assert "pull_request_target" not in text, name
        assert "workflow_run" not in text, name


def test_no_expression_is_expanded_inside_a_run_script() -> None:
    for name in WORKFLOWS:
        for job_id, _job, step in workflow_steps(load_workflow(name)):
            script = step.get("run", "")
            # Untrusted values (branch names, titles, ...) reach scripts only through env:.
            assert "${{" not in script, f"{name}/{job_id}/{step.get('name')}: {script}"


def test_checkout_never_keeps_the_token() -> None:
    for name in WORKFLOWS:
        for job_id, _job, step in workflow_steps(load_workflow(name)):
            if action_of(step) == "actions/checkout":
                assert step.get("with", {}).get("persist-credentials") is False, (name, job_id)


def test_terraform_is_the_real_binary_not_the_wrapper() -> None:
    for name in WORKFLOWS:
        for _job_id, _job, step in workflow_steps(load_workflow(name)):
            if action_of(step) == "hashicorp/setup-terraform":
                assert step["with"]["terraform_wrapper"] is False, name


def test_every_job_has_a_timeout() -> None:
    for name in WORKFLOWS:
        for job_id, job in load_workflow(name)["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int), f"{name}/{job_id}"


def test_plans_are_one_per_pull_request_and_cancel_the_previous_one() -> None:
    concurrency = load_workflow("plan")["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


def test_applies_are_one_per_environment_and_never_cancelled() -> None:
    workflow = load_workflow("deploy")
    assert workflow["concurrency"]["cancel-in-progress"] is False
    deploy = workflow["jobs"]["deploy"]
    assert deploy["environment"] == "${{ needs.target.outputs.environment }}"
    assert deploy["concurrency"] == {
        "group": "deploy-${{ needs.target.outputs.environment }}",
        "cancel-in-progress": False,
    }


def test_aws_steps_never_run_for_pull_requests_from_forks() -> None:
    for name in WORKFLOWS:
        workflow = load_workflow(name)
        if "pull_request" not in workflow["on"]:
            continue
        for job_id, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                needs_aws = action_of(step) == "aws-actions/configure-aws-credentials" or (
                    re.search(r"deployer (plan|apply|destroy)", step.get("run", ""))
                )
                if needs_aws:
                    guards = f"{job.get('if', '')} {step.get('if', '')}"
                    assert FORK_GUARD in guards, f"{name}/{job_id}/{step.get('name')}"


def test_ci_lints_and_runs_the_readme_test_command() -> None:
    workflow = load_workflow("ci")
    lint = "\n".join(step.get("run", "") for step in workflow["jobs"]["lint"]["steps"])
    for command in ("ruff check .", "ruff format --check .", "terraform fmt -check -recursive"):
        assert command in lint
    steps = workflow["jobs"]["test"]["steps"]
    runs = [step.get("run", "").strip() for step in steps]
    install = runs.index("python -m pip install -e '.[dev]'")
    assert runs.index("python -m pytest") > install
    setup_python = next(s for s in steps if action_of(s) == "actions/setup-python")
    assert setup_python["with"]["cache"] == "pip"
    assert any(action_of(s) == "hashicorp/setup-terraform" for s in steps)


def test_the_plan_role_and_the_apply_role_come_from_variables() -> None:
    plan_creds = next(
        s
        for _, _, s in workflow_steps(load_workflow("plan"))
        if action_of(s).startswith("aws-actions/")
    )
    deploy_creds = next(
        s
        for _, _, s in workflow_steps(load_workflow("deploy"))
        if action_of(s).startswith("aws-actions/")
    )
    assert plan_creds["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert deploy_creds["with"]["role-to-assume"] == "${{ vars.AWS_APPLY_ROLE_ARN }}"
    for creds in (plan_creds, deploy_creds):
        assert creds["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
        assert "aws-access-key-id" not in creds["with"]  # OIDC only, no stored keys


def test_deploy_applies_through_exec_and_saved_plans_for_protected_environments() -> None:
    steps = load_workflow("deploy")["jobs"]["deploy"]["steps"]
    apply = find_step(load_workflow("deploy"), "deploy", "Apply")
    assert apply["if"] == "needs.target.outputs.protected != 'true'"
    assert apply["run"].strip() == (
        'exec deployer apply "$ENVIRONMENT" --auto-approve --no-publish'
    )
    plan = find_step(load_workflow("deploy"), "deploy", "Plan (protected environment)")
    saved = find_step(
        load_workflow("deploy"), "deploy", "Apply the saved plan (protected environment)"
    )
    for step in (plan, saved):
        assert step["if"] == "needs.target.outputs.protected == 'true'"
        assert step["env"]["PLAN_FILE"].startswith("${{ runner.temp }}/")
    assert plan["run"].strip() == 'exec deployer plan "$ENVIRONMENT" --out "$PLAN_FILE"'
    assert saved["run"].strip() == (
        'exec deployer apply "$ENVIRONMENT" --plan-file "$PLAN_FILE" --yes --no-publish'
    )
    assert steps.index(plan) < steps.index(saved)
    for step in steps:
        if "deployer" in step.get("run", ""):
            assert step["run"].strip().startswith("exec deployer "), step["run"]


def test_deploy_publishes_then_smokes_after_either_apply_and_fails_when_they_fail() -> None:
    workflow = load_workflow("deploy")
    steps = workflow["jobs"]["deploy"]["steps"]
    applies = [
        find_step(workflow, "deploy", "Apply"),
        find_step(workflow, "deploy", "Apply the saved plan (protected environment)"),
    ]
    publish = find_step(workflow, "deploy", "Publish the frontend")
    smoke = find_step(workflow, "deploy", "Smoke checks")
    assert publish["run"].strip() == 'exec deployer publish "$ENVIRONMENT"'
    assert smoke["run"].strip() == 'exec deployer smoke "$ENVIRONMENT"'
    assert smoke["env"] == {"SMOKE_TOKEN": "${{ secrets.SMOKE_TOKEN }}"}
    assert max(steps.index(s) for s in applies) < steps.index(publish) < steps.index(smoke)
    for step in (publish, smoke):
        # Run on both paths (no `if:`), and a failure fails the job.
        assert "if" not in step and "continue-on-error" not in step


def test_a_failed_plan_is_still_posted_and_fails_the_job() -> None:
    workflow = load_workflow("plan")
    plan = find_step(workflow, "plan", "Plan")
    comment = find_step(workflow, "plan", "Comment on the pull request")
    assert "continue-on-error" not in plan  # the failed step fails the job
    assert comment["if"] == "${{ !cancelled() && hashFiles('plan.md') != '' }}"
    steps = workflow["jobs"]["plan"]["steps"]
    assert steps.index(plan) < steps.index(comment)

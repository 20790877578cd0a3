"""The commands of the GitHub Actions workflows, as the workflows run them: the `run:`
scripts are taken out of the YAML and run with bash, the way the runner does, so a
workflow cannot drift from the CLI. (Their validity and hardening: test_workflows.py.)
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.failing_code import deploy_failing_code
from helpers.fake_github import PR, REPO, TOKEN, FakeGitHub
from helpers.local_stack import without_database
from helpers.paths import REPO_ROOT
from helpers.workflows import (
    BIN,
    BRANCHES,
    PROTECTED,
    WORKFLOWS,
    find_step,
    load_workflow,
    workflow_steps,
)

# -- the commands, as the workflows run them ----------------------------------------------

DEPLOYER_COMMAND = re.compile(r"\bdeployer\s[^)\n]*")

SHELL_VALUES = {
    "ENVIRONMENT": "dev",
    "BASE_REF": "dev",
    "BRANCH": "main",
    "PLAN_FILE": "deploy.tfplan",
    "REPOSITORY": REPO,
    "PR_NUMBER": str(PR),
}


def _deployer_commands() -> list[tuple[str, list[str]]]:
    """Every `deployer ...` command line of every workflow, shell variables filled in."""
    found = []
    for name in WORKFLOWS:
        for job_id, _job, step in workflow_steps(load_workflow(name)):
            for match in DEPLOYER_COMMAND.finditer(step.get("run", "")):
                text = re.sub(r"\$\{?(\w+)\}?", lambda m: SHELL_VALUES[m.group(1)], match.group(0))
                found.append((f"{name}/{job_id}/{step.get('name')}", shlex.split(text)[1:]))
    return found


def _parse_cli(argv: list[str]) -> tuple[str, dict]:
    """Parse argv as the CLI would (options and arguments checked), without running it."""
    from typer.main import get_command

    from deployer.cli import app

    root = get_command(app)
    command, args, path = root, list(argv), ["deployer"]
    context = root.context_class(root, info_name="deployer")
    while hasattr(command, "get_command") and args and command.get_command(context, args[0]):
        path.append(args[0])
        command = command.get_command(context, args.pop(0))
    return " ".join(path), command.make_context(" ".join(path), args).params


def test_every_deployer_command_in_the_workflows_is_one_the_cli_accepts() -> None:
    commands = _deployer_commands()
    parsed = {}
    for where, argv in commands:
        try:
            path, params = _parse_cli(argv)
        except Exception as exc:  # a usage error names the bad option
            pytest.fail(f"{where}: deployer {' '.join(argv)}: {exc}")
        parsed.setdefault(path, []).append(params)
    assert set(parsed) == {
        "deployer env-for-branch",
        "deployer plan",
        "deployer apply",
        "deployer publish",
        "deployer smoke",
        "deployer github comment",
    }
    assert any(Path(p["summary_md"] or "") == Path("plan.md") for p in parsed["deployer plan"])
    assert any(p["yes"] and p["plan_file"] for p in parsed["deployer apply"])
    assert any(p["auto_approve"] and not p["plan_file"] for p in parsed["deployer apply"])
    # The deploy job publishes in its own step, after either apply.
    assert all(p["no_publish"] for p in parsed["deployer apply"])


CONTEXT = {
    "${{ github.repository }}": REPO,
    "${{ github.event.pull_request.number }}": str(PR),
    "${{ github.token }}": TOKEN,
    "${{ runner.temp }}/deploy.tfplan": "deploy.tfplan",
}


def _run_step(
    workflow: dict, job_id: str, name: str, cwd: Path, context: dict[str, str], **env: str
) -> subprocess.CompletedProcess:
    """Run a step's script with bash as the runner does (`shell: bash` = -eo pipefail)."""
    assert workflow["defaults"]["run"]["shell"] == "bash"
    step = find_step(workflow, job_id, name)
    values = {**CONTEXT, **context}
    # No GITHUB_* from the machine running the tests (e.g. the real GITHUB_STEP_SUMMARY).
    child = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    child.update(PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", **env)
    declared = {**workflow["jobs"][job_id].get("env", {}), **step.get("env", {})}
    for key, expression in declared.items():
        assert expression in values, f"the test knows no value for {expression}"
        child[key] = values[expression]
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=child,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize(("branch", "environment"), sorted(BRANCHES.items()))
def test_the_plan_workflow_finds_the_environment_of_the_target_branch(
    branch: str, environment: str, tmp_path: Path
) -> None:
    output = tmp_path / "github_output"
    result = _run_step(
        load_workflow("plan"),
        "plan",
        "Environment of the target branch",
        REPO_ROOT,
        {"${{ github.base_ref }}": branch},
        GITHUB_OUTPUT=str(output),
    )
    assert result.returncode == 0, result.stderr
    assert _outputs(output) == {"environment": environment}


@pytest.mark.parametrize(("branch", "environment"), sorted(BRANCHES.items()))
def test_the_deploy_workflow_finds_the_environment_and_its_protection(
    branch: str, environment: str, tmp_path: Path
) -> None:
    output = tmp_path / "github_output"
    result = _run_step(
        load_workflow("deploy"),
        "target",
        "Environment of this branch",
        REPO_ROOT,
        {"${{ github.ref_name }}": branch},
        GITHUB_OUTPUT=str(output),
    )
    assert result.returncode == 0, result.stderr
    assert _outputs(output) == {
        "environment": environment,
        "protected": "true" if environment in PROTECTED else "false",
    }


def test_a_branch_without_an_environment_fails_the_step(tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    result = _run_step(
        load_workflow("plan"),
        "plan",
        "Environment of the target branch",
        REPO_ROOT,
        {"${{ github.base_ref }}": "feature/x"},
        GITHUB_OUTPUT=str(output),
    )
    assert result.returncode == 2
    assert "Branch 'feature/x' deploys no environment" in result.stderr
    assert not output.exists() or output.read_text(encoding="utf-8") == ""


def test_env_for_branch_accepts_a_full_ref_and_reports_protection() -> None:
    from typer.testing import CliRunner

    from deployer.cli import app

    result = CliRunner().invoke(app, ["env-for-branch", "refs/heads/main", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "branch": "main",
        "environment": BRANCHES["main"],
        "protected": BRANCHES["main"] in PROTECTED,
    }


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub(identity=None) as fake:  # GitHub Actions' token: no /user
        yield fake


def test_the_comment_step_creates_then_patches_one_comment(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    summary = tmp_path / "step_summary.md"
    env = {"GITHUB_API_URL": fake_github.url, "GITHUB_STEP_SUMMARY": str(summary)}
    workflow = load_workflow("plan")
    for round_ in ("first", "second"):
        (tmp_path / "plan.md").write_text(f"### Plan for `dev`\n\n{round_}\n", encoding="utf-8")
        result = _run_step(workflow, "plan", "Comment on the pull request", tmp_path, {}, **env)
        assert result.returncode == 0, result.stderr
    assert len(fake_github.comments) == 1
    comment = fake_github.comments[0]
    assert comment["body"] == "<!-- deployer:plan -->\n### Plan for `dev`\n\nsecond\n"
    assert comment["user"]["login"] == "github-actions[bot]"
    assert fake_github.calls("PATCH") == [f"/repos/{REPO}/issues/comments/{comment['id']}"]
    assert summary.read_text(encoding="utf-8").count("### Plan for `dev`") == 2


def test_a_failed_plan_writes_the_failure_which_the_comment_step_posts(
    project_copy: Path, fake_github: FakeGitHub
) -> None:
    # A broken manifest makes the plan fail fast, before Terraform runs.
    broken = project_copy / "lambda_src" / "broken"
    broken.mkdir(parents=True)
    (broken / "function.toml").write_text('memory = "lots"\n', encoding="utf-8")
    workflow = load_workflow("plan")
    env = {"GITHUB_API_URL": fake_github.url}
    context = {"${{ steps.target.outputs.environment }}": "local"}
    plan = _run_step(workflow, "plan", "Plan", project_copy, context, **env)
    assert plan.returncode != 0  # the job fails...
    body = (project_copy / "plan.md").read_text(encoding="utf-8")
    assert body.startswith("### :x: Plan failed for `local`")
    assert "lambda_src/broken/function.toml: memory = 'lots' must be a whole number" in body
    posted = _run_step(workflow, "plan", "Comment on the pull request", project_copy, {}, **env)
    assert posted.returncode == 0, posted.stderr  # ...after the failure is posted
    assert fake_github.comments[0]["body"].startswith(
        "<!-- deployer:plan -->\n### :x: Plan failed for `local`"
    )


def test_the_plan_workflow_on_local_plans_and_posts_the_plan(
    project_copy: Path, fake_github: FakeGitHub, provider_mirror: Path, tmp_path: Path
) -> None:
    """The plan job's steps in order, from the YAML: no branch deploys `local` (CI here has
    no AWS), so the target step runs for a real branch and the plan step against `local`."""
    workflow = load_workflow("plan")
    output = tmp_path / "github_output"
    target = _run_step(
        workflow,
        "plan",
        "Environment of the target branch",
        project_copy,
        {"${{ github.base_ref }}": "dev"},
        GITHUB_OUTPUT=str(output),
    )
    assert target.returncode == 0, target.stderr
    assert _outputs(output) == {"environment": "dev"}
    env = {"GITHUB_API_URL": fake_github.url}
    context = {"${{ steps.target.outputs.environment }}": "local"}
    try:
        plan = _run_step(workflow, "plan", "Plan", project_copy, context, **env)
        assert plan.returncode == 0, plan.stderr[-4000:]
        body = (project_copy / "plan.md").read_text(encoding="utf-8")
        assert body.startswith("### Plan for `local`"), body[:2000]
        assert re.search(r"\*\*\d+ to create, 0 to update, 0 to replace, 0 to delete\.\*\*", body)
        assert "<details><summary>Plan details</summary>" in body
        posted = _run_step(workflow, "plan", "Comment on the pull request", project_copy, {}, **env)
        assert posted.returncode == 0, posted.stderr
    finally:
        subprocess.run(
            [str(BIN / "deployer"), "local", "stop"],
            cwd=project_copy,
            capture_output=True,
            timeout=120,
        )
    assert [c["body"] for c in fake_github.comments] == [
        f"<!-- deployer:plan -->\n{body.rstrip()}\n"
    ]


def test_the_deploy_job_on_local_applies_publishes_then_smokes_and_fails_when_smoke_fails(
    project_copy: Path, provider_mirror: Path
) -> None:
    """The deploy job's steps after Install, in the YAML's order, for an unprotected
    environment (no branch deploys `local`, and CI here has no AWS, so ENVIRONMENT=local)."""
    workflow = load_workflow("deploy")
    steps = workflow["jobs"]["deploy"]["steps"]
    unprotected = [
        step["name"]
        for step in steps[[s.get("name") for s in steps].index("Install") + 1 :]
        if "run" in step and step.get("if") in (None, "needs.target.outputs.protected != 'true'")
    ]
    assert unprotected == ["Apply", "Publish the frontend", "Smoke checks"]
    without_database(project_copy)  # no step here needs it; the apply skips RDS's waits
    # A broken deploy should fail the job in seconds here, not after the default minute.
    pyproject = project_copy / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert "[tool.deployer.smoke]\ntimeout = 60\n" in text
    pyproject.write_text(text.replace("timeout = 60\n", "timeout = 3\n", 1), encoding="utf-8")
    context = {
        "${{ needs.target.outputs.environment }}": "local",
        "${{ secrets.SMOKE_TOKEN }}": "",
    }
    ran = {}
    for name in unprotected:
        ran[name] = _run_step(workflow, "deploy", name, project_copy, context)
        assert ran[name].returncode == 0, f"{name}: {ran[name].stderr[-4000:]}"
    published = ran["Publish the frontend"].stdout + ran["Publish the frontend"].stderr
    assert "frontend" in published
    assert "passed 3 smoke check(s)" in " ".join(ran["Smoke checks"].stdout.split())

    deploy_failing_code(project_copy, "health")
    failed = _run_step(workflow, "deploy", "Smoke checks", project_copy, context)
    assert failed.returncode == 1  # the step, and so the job, fails
    message = " ".join(failed.stderr.split())
    assert "error: smoke check failed on local: health (GET /health) expected 200, got 5" in (
        message
    )
    assert "Traceback" not in failed.stderr

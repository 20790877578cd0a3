"""The GitHub Actions workflows: valid, hardened, and running commands the CLI really has.

The policy tests parse the YAML; the command tests take the `run:` scripts out of the YAML
and run them with bash, the way the runner does, so a workflow cannot drift from the CLI.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_github_comment import PR, REPO, TOKEN, FakeGitHub

REPO_ROOT = Path(__file__).resolve().parents[1]
GITHUB_DIR = REPO_ROOT / ".github"
WORKFLOWS = {path.stem: path for path in sorted((GITHUB_DIR / "workflows").glob("*.yml"))}
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
BRANCHES = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "deployer"
]["branches"]
PROTECTED = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "deployer"
]["protected"]


def _load(name: str) -> dict:
    data = yaml.safe_load(WORKFLOWS[name].read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def _tool(name: str) -> str:
    found = BIN / name
    if found.is_file():
        return str(found)
    which = shutil.which(name)
    if which is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]' provides it.")
    return which


def _steps(workflow: dict) -> Iterator[tuple[str, dict, dict]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, job, step


def _step(workflow: dict, job_id: str, name: str) -> dict:
    for step in workflow["jobs"][job_id]["steps"]:
        if step.get("name") == name:
            return step
    raise AssertionError(f"no step {name!r} in job {job_id}")


def _action(step: dict) -> str:
    return step.get("uses", "").split("@")[0]


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
        for _job_id, job, step in _steps(_load(name)):
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
        workflow = _load(name)
        assert workflow["permissions"] == {"contents": "read"}, name
        for job_id, job in workflow["jobs"].items():
            granted = job.get("permissions", {})
            assert isinstance(granted, dict), f"{name}/{job_id}: permissions must be a map"
            writes = {scope for scope, level in granted.items() if level == "write"}
            actions = {_action(step) for step in job.get("steps", [])}
            runs = "\n".join(step.get("run", "") for step in job.get("steps", []))
            expected = set()
            if "aws-actions/configure-aws-credentials" in actions:
                expected.add("id-token")
            if "deployer github comment" in runs:
                expected.add("pull-requests")
            assert writes == expected, f"{name}/{job_id}: writes {writes}, needs {expected}"
            assert set(granted.values()) <= {"read", "write", "none"}


def test_triggers() -> None:
    assert set(_load("ci")["on"]) == {"push", "pull_request"}
    assert _load("plan")["on"] == {"pull_request": {"branches": list(BRANCHES)}}
    assert _load("deploy")["on"] == {"push": {"branches": list(BRANCHES)}}
    for name, path in WORKFLOWS.items():
        text = path.read_text(encoding="utf-8")
        assert "pull_request_target" not in text, name
        assert "workflow_run" not in text, name


def test_no_expression_is_expanded_inside_a_run_script() -> None:
    for name in WORKFLOWS:
        for job_id, _job, step in _steps(_load(name)):
            script = step.get("run", "")
            # Untrusted values (branch names, titles, ...) reach scripts only through env:.
            assert "${{" not in script, f"{name}/{job_id}/{step.get('name')}: {script}"


def test_checkout_never_keeps_the_token() -> None:
    for name in WORKFLOWS:
        for job_id, _job, step in _steps(_load(name)):
            if _action(step) == "actions/checkout":
                assert step.get("with", {}).get("persist-credentials") is False, (name, job_id)


def test_terraform_is_the_real_binary_not_the_wrapper() -> None:
    for name in WORKFLOWS:
        for _job_id, _job, step in _steps(_load(name)):
            if _action(step) == "hashicorp/setup-terraform":
                assert step["with"]["terraform_wrapper"] is False, name


def test_every_job_has_a_timeout() -> None:
    for name in WORKFLOWS:
        for job_id, job in _load(name)["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int), f"{name}/{job_id}"


def test_plans_are_one_per_pull_request_and_cancel_the_previous_one() -> None:
    concurrency = _load("plan")["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


def test_applies_are_one_per_environment_and_never_cancelled() -> None:
    workflow = _load("deploy")
    assert workflow["concurrency"]["cancel-in-progress"] is False
    deploy = workflow["jobs"]["deploy"]
    assert deploy["environment"] == "${{ needs.target.outputs.environment }}"
    assert deploy["concurrency"] == {
        "group": "deploy-${{ needs.target.outputs.environment }}",
        "cancel-in-progress": False,
    }


def test_aws_steps_never_run_for_pull_requests_from_forks() -> None:
    for name in WORKFLOWS:
        workflow = _load(name)
        if "pull_request" not in workflow["on"]:
            continue
        for job_id, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                needs_aws = _action(step) == "aws-actions/configure-aws-credentials" or (
                    re.search(r"deployer (plan|apply|destroy)", step.get("run", ""))
                )
                if needs_aws:
                    guards = f"{job.get('if', '')} {step.get('if', '')}"
                    assert FORK_GUARD in guards, f"{name}/{job_id}/{step.get('name')}"


def test_ci_lints_and_runs_the_readme_test_command() -> None:
    workflow = _load("ci")
    lint = "\n".join(step.get("run", "") for step in workflow["jobs"]["lint"]["steps"])
    for command in ("ruff check .", "ruff format --check .", "terraform fmt -check -recursive"):
        assert command in lint
    steps = workflow["jobs"]["test"]["steps"]
    runs = [step.get("run", "").strip() for step in steps]
    install = runs.index("python -m pip install -e '.[dev]'")
    assert runs.index("python -m pytest") > install
    setup_python = next(s for s in steps if _action(s) == "actions/setup-python")
    assert setup_python["with"]["cache"] == "pip"
    assert any(_action(s) == "hashicorp/setup-terraform" for s in steps)


def test_the_plan_role_and_the_apply_role_come_from_variables() -> None:
    plan_creds = next(
        s for _, _, s in _steps(_load("plan")) if _action(s).startswith("aws-actions/")
    )
    deploy_creds = next(
        s for _, _, s in _steps(_load("deploy")) if _action(s).startswith("aws-actions/")
    )
    assert plan_creds["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert deploy_creds["with"]["role-to-assume"] == "${{ vars.AWS_APPLY_ROLE_ARN }}"
    for creds in (plan_creds, deploy_creds):
        assert creds["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
        assert "aws-access-key-id" not in creds["with"]  # OIDC only, no stored keys


def test_deploy_applies_through_exec_and_saved_plans_for_protected_environments() -> None:
    steps = _load("deploy")["jobs"]["deploy"]["steps"]
    apply = _step(_load("deploy"), "deploy", "Apply")
    assert apply["if"] == "needs.target.outputs.protected != 'true'"
    assert apply["run"].strip() == 'exec deployer apply "$ENVIRONMENT" --auto-approve'
    plan = _step(_load("deploy"), "deploy", "Plan (protected environment)")
    saved = _step(_load("deploy"), "deploy", "Apply the saved plan (protected environment)")
    for step in (plan, saved):
        assert step["if"] == "needs.target.outputs.protected == 'true'"
        assert step["env"]["PLAN_FILE"].startswith("${{ runner.temp }}/")
    assert plan["run"].strip() == 'exec deployer plan "$ENVIRONMENT" --out "$PLAN_FILE"'
    assert saved["run"].strip() == (
        'exec deployer apply "$ENVIRONMENT" --plan-file "$PLAN_FILE" --yes'
    )
    assert steps.index(plan) < steps.index(saved)
    for step in steps:
        if "deployer" in step.get("run", ""):
            assert step["run"].strip().startswith("exec deployer "), step["run"]


def test_a_failed_plan_is_still_posted_and_fails_the_job() -> None:
    workflow = _load("plan")
    plan = _step(workflow, "plan", "Plan")
    comment = _step(workflow, "plan", "Comment on the pull request")
    assert "continue-on-error" not in plan  # the failed step fails the job
    assert comment["if"] == "${{ !cancelled() && hashFiles('plan.md') != '' }}"
    steps = workflow["jobs"]["plan"]["steps"]
    assert steps.index(plan) < steps.index(comment)


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
        for job_id, _job, step in _steps(_load(name)):
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
        "deployer github comment",
    }
    assert any(Path(p["summary_md"] or "") == Path("plan.md") for p in parsed["deployer plan"])
    assert any(p["yes"] and p["plan_file"] for p in parsed["deployer apply"])
    assert any(p["auto_approve"] and not p["plan_file"] for p in parsed["deployer apply"])


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
    step = _step(workflow, job_id, name)
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
        _load("plan"),
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
        _load("deploy"),
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
        _load("plan"),
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
    workflow = _load("plan")
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
    workflow = _load("plan")
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
    workflow = _load("plan")
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

"""The stack orchestration (deployer.stack.root_stack) against the real Terraform binary.

Flows run on tests/fixtures/stack_project: a project whose terraform/ uses only built-ins
(terraform_data) and a local backend, so init/plan/apply are real without AWS. The
repository's own root stack (terraform/) is tested in tests/infrastructure/test_root_stack.py.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from helpers.stack_project import quiet, state_resources

from deployer.common.errors import DeployerError, UserInputError
from deployer.config.environments import Environment
from deployer.config.project import Project, find_project
from deployer.stack.root_stack import Stack, generated_vars
from deployer.stack.safety import check_apply_allowed, check_destroy_allowed
from deployer.terraform.adapter import StalePlanError, Terraform

# --- safety rules ----------------------------------------------------------------------------


def env(name: str, protected: bool) -> Environment:
    return Environment(
        name=name, protected=protected, tfvars=f"envs/{name}.tfvars", backend="x.hcl"
    )


def test_protected_environment_refuses_auto_approve() -> None:
    with pytest.raises(UserInputError, match="prod is protected: --auto-approve is refused"):
        check_apply_allowed(
            env("prod", True), plan_file=Path("p.tfplan"), auto_approve=True, yes=False
        )


def test_protected_environment_applies_only_a_saved_plan() -> None:
    with pytest.raises(UserInputError, match="prod is protected: it applies only a saved plan"):
        check_apply_allowed(env("prod", True), plan_file=None, auto_approve=False, yes=False)
    check_apply_allowed(env("prod", True), plan_file=Path("p"), auto_approve=False, yes=True)


def test_yes_needs_a_saved_plan_and_unprotected_may_auto_approve() -> None:
    with pytest.raises(UserInputError, match="--yes confirms a saved plan"):
        check_apply_allowed(env("dev", False), plan_file=None, auto_approve=False, yes=True)
    check_apply_allowed(env("dev", False), plan_file=None, auto_approve=True, yes=False)


def test_destroy_of_a_protected_environment_needs_allow_protected() -> None:
    with pytest.raises(UserInputError, match="pass --allow-protected"):
        check_destroy_allowed(env("prod", True), allow_protected=False)
    check_destroy_allowed(env("prod", True), allow_protected=True)
    check_destroy_allowed(env("dev", False), allow_protected=False)


# --- generated var-file ----------------------------------------------------------------------


def test_generated_vars_point_zips_at_the_build_from_terraform(stack_project: Path) -> None:
    project = find_project(stack_project)
    entry = {"zip_path": ".deployer/build/hello.zip", "source_code_hash": "x", "size": 3}
    data = generated_vars(project, "dev", {"hello": entry})
    assert data == {
        "app": "fixture",
        "environment": "dev",
        "functions": {
            "hello": {
                "zip_path": "../.deployer/build/hello.zip",
                "source_code_hash": "x",
                "size": 3,
            }
        },
    }


# --- init, plan, apply on the fixture --------------------------------------------------------


def test_prepare_inits_once_and_again_only_when_the_backend_changes(stack_project: Path) -> None:
    project = find_project(stack_project)
    lines: list = []
    stack = Stack(project, "dev", stream=quiet(lines))
    stack.prepare(progress=False)
    generated = json.loads(stack.generated.read_text(encoding="utf-8"))
    assert generated["environment"] == "dev" and set(generated["functions"]) == {"hello"}
    assert (stack_project / ".deployer" / "dev" / "tfdata" / "terraform.tfstate").is_file()
    assert stack.init() is False  # nothing changed: no second init

    backend = stack_project / "envs" / "dev.backend.hcl"
    backend.write_text('path = "../.deployer/state/dev-moved.tfstate"\n', encoding="utf-8")
    assert Stack(project, "dev", stream=quiet(lines)).init() is True
    assert Stack(project, "dev", stream=quiet(lines)).init() is False


def _emulated_dev(stack_project: Path, monkeypatch: pytest.MonkeyPatch, prepare) -> Project:
    """The fixture with `dev` emulated, the emulator's start replaced by `prepare`.

    The fixture's backend is local, so no real emulator is needed to test the order of
    things; the real start is covered by tests/aws/test_process_env.py and the e2e test.
    """
    pyproject = stack_project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace("emulated = []", 'emulated = ["dev"]'),
        encoding="utf-8",
    )
    monkeypatch.setattr("deployer.stack.root_stack.prepare", prepare)
    return find_project(stack_project)


def test_the_emulator_starts_while_the_functions_are_packaged(stack_project, monkeypatch):
    seen: dict[str, object] = {}

    def start_emulator(project, env_name):
        seen["thread"] = threading.current_thread().name
        return dict(os.environ)

    project = _emulated_dev(stack_project, monkeypatch, start_emulator)
    Stack(project, "dev", stream=quiet([])).prepare(progress=False)
    assert str(seen["thread"]).startswith("emulator")
    assert (stack_project / ".deployer" / "dev" / "tfdata" / "terraform.tfstate").is_file()


def test_an_emulator_that_cannot_start_is_reported_and_terraform_never_runs(
    stack_project, monkeypatch
):
    def start_emulator(project, env_name):
        raise DeployerError("the local emulator could not start: port 4566 is in use")

    project = _emulated_dev(stack_project, monkeypatch, start_emulator)
    stack = Stack(project, "dev", stream=quiet([]))
    with pytest.raises(DeployerError, match="port 4566 is in use"):
        stack.prepare(progress=False)
    assert not stack.generated.exists()
    assert not (stack_project / ".deployer" / "dev" / "tfdata").exists()


def test_a_packaging_mistake_is_the_error_even_while_the_emulator_starts(
    stack_project, monkeypatch
):
    started = []
    project = _emulated_dev(
        stack_project, monkeypatch, lambda project, env_name: started.append(1) or {}
    )
    manifest = stack_project / "lambda_src" / "hello" / "function.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("memory = 128", "memory = 5"),
        encoding="utf-8",
    )
    stack = Stack(project, "dev", stream=quiet([]))
    with pytest.raises(UserInputError, match="memory"):
        stack.prepare(progress=False)
    assert not stack.generated.exists()


def test_each_environment_has_its_own_data_dir(stack_project: Path) -> None:
    project = find_project(stack_project)
    for name in ("dev", "qa"):
        Stack(project, name, stream=quiet([])).prepare(progress=False)
    dev = json.loads((stack_project / ".deployer/dev/tfdata/terraform.tfstate").read_text())
    qa = json.loads((stack_project / ".deployer/qa/tfdata/terraform.tfstate").read_text())
    assert dev["backend"]["config"]["path"].endswith("dev.tfstate")
    assert qa["backend"]["config"]["path"].endswith("qa.tfstate")


def test_plan_then_apply_the_saved_plan(stack_project: Path) -> None:
    project = find_project(stack_project)
    stack = Stack(project, "dev", stream=quiet([]))
    stack.prepare(progress=False)
    planned = stack.plan()
    assert planned.has_changes and planned.plan_file == stack.default_plan
    assert planned.summary.counts == {"create": 3, "update": 0, "replace": 0, "delete": 0}
    stack.apply_plan(planned.plan_file)
    assert state_resources(stack_project, "dev") == [
        "terraform_data.function",
        "terraform_data.greeting",
        "terraform_data.token",
    ]
    assert stack.outputs()["greeting"] == "hello dev from fixture-dev"
    assert stack.plan().has_changes is False


def test_a_plan_without_changes_is_not_read_back(
    stack_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-detailed-exitcode 0 already says the summary is empty: no second Terraform process
    (`show -json`) for it. The saved plan is still there, and reading it back agrees."""
    project = find_project(stack_project)
    stack = Stack(project, "dev", stream=quiet([]))
    stack.prepare(progress=False)
    stack.apply_plan(stack.plan().plan_file)
    shown: list[Path] = []
    real_show = Terraform.show_json

    def counting_show(self, plan_file, **kwargs):
        shown.append(Path(plan_file))
        return real_show(self, plan_file, **kwargs)

    monkeypatch.setattr(Terraform, "show_json", counting_show)
    planned = stack.plan()
    assert shown == []
    assert planned.has_changes is False and planned.plan_file.is_file()
    assert planned.summary.as_dict() == stack.read_plan(planned.plan_file).summary.as_dict()
    assert shown == [planned.plan_file]  # the check above did read it: the spy works
    # With changes, the plan is read back for its summary.
    (stack_project / "envs/dev.tfvars").write_text('greeting = "hello again"\n', encoding="utf-8")
    changed = stack.plan()
    assert changed.has_changes and shown[-1] == changed.plan_file


def test_a_plan_made_for_another_environment_is_refused(stack_project: Path) -> None:
    project = find_project(stack_project)
    dev = Stack(project, "dev", stream=quiet([]))
    dev.prepare(progress=False)
    planned = dev.plan()
    qa = Stack(project, "qa", stream=quiet([]))
    qa.init()
    with pytest.raises(UserInputError, match="was made for environment 'dev', not 'qa'"):
        qa.read_plan(planned.plan_file)


def test_a_stale_plan_is_reported_never_replaced(stack_project: Path) -> None:
    project = find_project(stack_project)
    stack = Stack(project, "dev", stream=quiet([]))
    stack.prepare(progress=False)
    old = stack.plan(out=stack.dir / "old.tfplan")
    stack.apply_plan(stack.plan(out=stack.dir / "new.tfplan").plan_file)
    before = (stack_project / ".deployer/state/dev.tfstate").read_text(encoding="utf-8")
    with pytest.raises(StalePlanError, match="The saved plan is stale"):
        stack.apply_plan(old.plan_file)
    assert (stack_project / ".deployer/state/dev.tfstate").read_text(encoding="utf-8") == before


def test_validate_runs_terraform_again_only_when_the_configuration_changed(
    stack_project: Path,
) -> None:
    project = find_project(stack_project)
    first: list = []
    Stack(project, "dev", stream=quiet(first)).validate()
    assert any("The configuration is valid" in line for line, _ in first)
    again: list = []
    Stack(project, "dev", stream=quiet(again)).validate()
    assert again == []  # the same files passed before: Terraform did not run
    # A broken .tf file is seen at once: the record is of what passed, not a pass.
    main = stack_project / "terraform" / "main.tf"
    main.write_text(main.read_text(encoding="utf-8") + '\noutput "x" {\n', encoding="utf-8")
    with pytest.raises(DeployerError):
        Stack(project, "dev", stream=quiet([])).validate()


def test_validate_checks_tfvars_before_terraform(stack_project: Path) -> None:
    (stack_project / "envs" / "dev.tfvars").write_text('greting = "x"\n', encoding="utf-8")
    stack = Stack(find_project(stack_project), "dev", stream=quiet([]))
    with pytest.raises(UserInputError, match='did you mean "greeting"'):
        stack.validate()
    assert not stack.data_dir.exists()  # Terraform never ran

"""The environments of a project: the files in envs/, and the names AWS lets them have."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployer.cli import app
from deployer.common.errors import UserInputError
from deployer.config.environments import get_environment, list_environments
from deployer.config.project import Project, find_project


def write_envs(root: Path, *names: str, backends: bool = True) -> Project:
    (root / "envs").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.deployer]\napp = "shop"\n', encoding="utf-8")
    for name in names:
        (root / "envs" / f"{name}.tfvars").write_text("", encoding="utf-8")
        if backends:
            (root / "envs" / f"{name}.backend.hcl").write_text("", encoding="utf-8")
    return find_project(root)


@pytest.mark.parametrize("name", ["dev", "my-env", "qa2", "a", "pre-prod-eu-1", "e" * 20])
def test_names_that_fit_aws_resource_names_are_environments(tmp_path: Path, name: str):
    project = write_envs(tmp_path, name)
    assert [e.name for e in list_environments(project)] == [name]
    assert get_environment(project, name).backend == f"envs/{name}.backend.hcl"


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("my_env", "rename it to envs/my-env.tfvars and my_env.backend.hcl to my-env.backend.hcl"),
        ("Dev", "rename it to envs/dev.tfvars and Dev.backend.hcl to dev.backend.hcl"),
        ("dev-", "rename it to envs/dev.tfvars and dev-.backend.hcl to dev.backend.hcl"),
        (
            "my--env",
            "rename it to envs/my-env.tfvars and my--env.backend.hcl to my-env.backend.hcl",
        ),
        ("e" * 21, f"rename it to envs/{'e' * 20}.tfvars and {'e' * 21}.backend.hcl to "),
        ("2dev", "rename it (and its backend file)"),
        ("dev.auto", "rename it to envs/dev-auto.tfvars and dev.auto.backend.hcl to "),
    ],
)
def test_a_misnamed_tfvars_is_refused_by_name_with_the_rule(tmp_path: Path, name: str, fix: str):
    project = write_envs(tmp_path, "qa", name)
    with pytest.raises(UserInputError) as caught:
        list_environments(project)
    message = caught.value.message
    assert message.startswith(f"envs/{name}.tfvars: {name!r} is not a valid environment name: ")
    assert "1-20 lowercase letters, digits and single hyphens, starting with a letter" in message
    assert f"shop-{name}-<function>" in message
    assert f"; {fix}" in message and message.endswith(".")
    assert "does not exist" not in message
    # Asked for by its name, it is the same error, not "Unknown environment".
    with pytest.raises(UserInputError, match=r"is not a valid environment name"):
        get_environment(project, name)


def test_the_fix_names_the_backend_file_only_when_there_is_one(tmp_path: Path):
    project = write_envs(tmp_path, "my_env", backends=False)
    with pytest.raises(UserInputError) as caught:
        list_environments(project)
    assert caught.value.message.endswith("; rename it to envs/my-env.tfvars.")


def test_an_editors_lock_file_is_not_an_environment(tmp_path: Path):
    project = write_envs(tmp_path, "dev")
    (tmp_path / "envs" / ".#dev.tfvars").write_text("", encoding="utf-8")  # Emacs' lock
    assert [e.name for e in list_environments(project)] == ["dev"]


def test_the_cli_says_it_in_one_line_exit_2(tmp_path: Path, monkeypatch):
    write_envs(tmp_path, "dev", "my_env")
    monkeypatch.setenv("DEPLOYER_PROJECT_DIR", str(tmp_path))
    for argv in (["envs"], ["plan", "my_env"], ["plan", "dev"], ["validate", "my_env"]):
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 2, (argv, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            "error: envs/my_env.tfvars: 'my_env' is not a valid environment name"
        ), (argv, result.stderr)

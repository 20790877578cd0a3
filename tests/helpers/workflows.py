"""The repository's GitHub Actions workflows, parsed: where they are, their steps."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import yaml

from helpers.paths import REPO_ROOT

GITHUB_DIR = REPO_ROOT / ".github"
WORKFLOWS = {path.stem: path for path in sorted((GITHUB_DIR / "workflows").glob("*.yml"))}
BIN = Path(sys.executable).parent
BRANCHES = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "deployer"
]["branches"]
PROTECTED = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "deployer"
]["protected"]


def load_workflow(name: str) -> dict:
    """The workflow .github/workflows/<name>.yml, its `on:` key a string again."""
    data = yaml.safe_load(WORKFLOWS[name].read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def workflow_steps(workflow: dict) -> Iterator[tuple[str, dict, dict]]:
    """(job id, job, step) for every step of every job."""
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, job, step


def find_step(workflow: dict, job_id: str, name: str) -> dict:
    """The step called `name` in job `job_id`."""
    for step in workflow["jobs"][job_id]["steps"]:
        if step.get("name") == name:
            return step
    raise AssertionError(f"no step {name!r} in job {job_id}")


def action_of(step: dict) -> str:
    """The action a step uses, without its version (`actions/checkout`)."""
    return step.get("uses", "").split("@")[0]

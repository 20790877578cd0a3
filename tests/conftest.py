"""Shared fixtures: an isolated environment, the provider mirror, a copy of the project,
and the fixture stacks that tests in several folders run Terraform on.

Helpers that are not fixtures live in tests/helpers/ (imported as `helpers`: pytest puts
tests/ on sys.path, see [tool.pytest.ini_options]); no test imports a conftest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT, copy_project
from helpers.stack_project import copy_fixture
from helpers.terraform_driver import SHIM, STACK

from deployer.config import find_project
from deployer.emulator import stop as stop_emulator
from deployer.terraform.mirror import MIRROR_ENV, aws_versions_in, render_cli_config

# A suite started as a background job of a non-interactive shell (`pytest &`, some CI
# runners) inherits SIGINT ignored, and so would every process it starts. The interrupt
# tests play a terminal's Ctrl-C, so the suite takes Ctrl-C as an interactive run does
# (the deployer itself deliberately leaves an ignored SIGINT ignored).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slow end-to-end tests first: they wait on the provider more than they
    compute, so the other tests run beside them instead of after them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _discover_mirror() -> Path | None:
    """Find a filesystem mirror holding the AWS provider (never a hard-coded path)."""
    value = os.environ.get(MIRROR_ENV)
    if value:
        return Path(value)
    try:
        out = subprocess.run(
            ["find", "/", "-xdev", "-maxdepth", "9", "-name", "terraform-provider-aws_*"],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        path = Path(line)
        for parent in path.parents:
            if parent.name == "registry.terraform.io":
                return parent.parent
    return None


@pytest.fixture(scope="session")
def provider_mirror() -> Path:
    """The offline AWS provider mirror; its absence fails the test (no silent skip)."""
    mirror = _discover_mirror()
    if mirror is None or not aws_versions_in(mirror):
        pytest.fail(
            f"No AWS provider mirror found: set {MIRROR_ENV} to the folder that holds "
            "registry.terraform.io/hashicorp/aws (or give the machine registry access)."
        )
    os.environ[MIRROR_ENV] = str(mirror)  # session-wide: every later test sees the same mirror
    return mirror


@pytest.fixture(scope="session")
def terraform_cli_config(provider_mirror: Path, tmp_path_factory) -> Path:
    """A Terraform CLI config file that installs hashicorp/aws from the mirror."""
    from deployer.terraform.mirror import ProviderMirror

    mirror = ProviderMirror(
        path=provider_mirror, aws_versions=aws_versions_in(provider_mirror), source="tests"
    )
    path = tmp_path_factory.mktemp("tfcli") / "terraformrc"
    path.write_text(render_cli_config(mirror, None), encoding="utf-8")
    return path


@pytest.fixture
def terraform_env(terraform_cli_config: Path, tmp_path: Path) -> dict[str, str]:
    """Environment for running the real `terraform` binary directly in a test."""
    env = dict(os.environ)
    env["TF_CLI_CONFIG_FILE"] = str(terraform_cli_config)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    return env


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test sees the developer's AWS profile, real credentials or deployer settings."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "DEPLOYER_")) and name != MIRROR_ENV:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    # The dependency cache is per user by default: the suite keeps its own, shared by every
    # test and worker of this run (real installs only), never the developer's.
    monkeypatch.setenv("DEPLOYER_CACHE_DIR", str(_suite_cache(tmp_path_factory)))


def _suite_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The parent of a worker's base folder is this run's, shared by its workers.
    return tmp_path_factory.getbasetemp().parent / "deployer-cache"


@pytest.fixture
def project_copy(tmp_path: Path) -> Iterator[Path]:
    """A copy of this repository's project files at a fresh path, as a user's clone would be.

    An emulator a test started in the copy (any command on `local` starts one) is stopped
    when the test ends, whatever the test did.
    """
    dest = copy_project(tmp_path / "project")
    yield dest
    if (dest / ".deployer" / "local").is_dir():
        stop_emulator(find_project(dest))


def _leftover_emulators(base: Path) -> list[tuple[int, str]]:
    """Emulator servers still running whose state folder lies under `base`."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv if a]
        if "deployer.emulator.server" in args and "--state-dir" in args:
            state_dir = args[args.index("--state-dir") + 1]
            if Path(state_dir).is_relative_to(base):
                found.append((int(proc.name), state_dir))
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The suite leaves no process behind: an emulator still running from this session's
    temporary folders fails the run, naming it (and is stopped, so it does not linger)."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or not Path("/proc").is_dir():
        return
    base = factory.getbasetemp()
    leftovers = _leftover_emulators(base)
    for pid, _ in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    if leftovers:
        names = "; ".join(f"pid {pid} ({state_dir})" for pid, state_dir in leftovers)
        print(f"\nerror: tests left emulators running: {names}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def stack_project(tmp_path: Path, provider_mirror: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of tests/fixtures/stack_project, the current project (tests/stack/, tests/cli/)."""
    return copy_fixture(tmp_path, monkeypatch)


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A copy of tests/fixtures/builtin_stack (tests/terraform/, tests/common/)."""
    dest = tmp_path / "stack"
    shutil.copytree(STACK, dest)
    return dest


@pytest.fixture
def shim_env(tmp_path, terraform_env, terraform_cli_config) -> dict[str, str]:
    """The driver's environment: the signal-logging `terraform` first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "terraform"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{SHIM}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    env = dict(terraform_env)
    env["SHIM_REAL_TERRAFORM"] = shutil.which("terraform") or "terraform"
    env["SHIM_SIGNAL_LOG"] = str(tmp_path / "signals.log")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env

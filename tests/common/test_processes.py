"""The process runner (deployer.common.processes): interrupts forwarded to Terraform once.

Signal tests run the adapter in a driver process (tests/fixtures/terraform_driver.py) so
pytest is never signalled, with a stand-in `terraform` on PATH
(tests/fixtures/terraform_shim.py) that logs every signal it receives before passing it to
the real Terraform. The shim's log is the measure: Terraform's own lines are not reliable
for it (tried: a Terraform that gets two SIGINTs a few milliseconds apart while stopping a
`local-exec` often prints a single "Interrupt received" and never "Two interrupts
received", because the graceful stop is over before the second one is read). They are
checked too, as what the real binary says it got.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from pathlib import Path

import pytest
from helpers.terraform_driver import (
    LOCK_INFO,
    STACK,
    Driver,
    read_state,
    start_sleeping_apply,
    var_file,
)

from deployer.common import EXIT_INTERRUPTED, Completed, forward_interrupts, run_streaming
from deployer.terraform.adapter import Terraform

# --- interrupts, in a driver process -----------------------------------------------------------


def signals_seen(tmp_path: Path) -> dict[str, list[str]]:
    """Signals each stand-in terraform received, by `<pid> <subcommand>` (every call listed)."""
    seen: dict[str, list[str]] = {}
    for line in (tmp_path / "signals.log").read_text(encoding="utf-8").splitlines():
        name, pid, subcommand = line.split()
        received = seen.setdefault(f"{pid} {subcommand}", [])
        if name != "START":
            received.append(name)
    return seen


def applies(tmp_path: Path) -> list[list[str]]:
    """The signals received by each `terraform apply`."""
    return [names for key, names in signals_seen(tmp_path).items() if key.endswith(" apply")]


def assert_stopped_gracefully(driver: Driver, stack: Path, tmp_path: Path, env) -> None:
    returncode, [result] = driver.finish()
    output = driver.output()
    assert returncode == EXIT_INTERRUPTED, output
    assert result["error"] == "TerraformInterrupted"
    assert "stopped gracefully" in result["message"]
    assert applies(tmp_path) == [["SIGINT"]]  # what reached Terraform, through the deployer
    others = [names for key, names in signals_seen(tmp_path).items() if not key.endswith("apply")]
    assert others and not any(others)  # init, plan, version: over before the signal
    assert output.count("Interrupt received.") == 1  # what Terraform itself says it got
    assert "Two interrupts received" not in output
    # The state was written (the resources created before the sleep are in it) and the
    # lock released: the next apply needs no force-unlock and completes.
    names = {r["name"] for r in read_state(stack)["resources"]}
    assert {"revision", "secret"} <= names
    assert not (stack / LOCK_INFO).exists()
    tf = Terraform(stack, data_dir=tmp_path / "tfdata", env=env, stream=None)
    plan = tf.plan(out=tmp_path / "after.tfplan", lock_timeout="0s")
    assert plan.has_changes
    tf.apply_plan(plan.plan_file)
    assert not tf.plan(out=tmp_path / "again.tfplan").has_changes


def test_one_ctrl_c_to_the_process_group_reaches_terraform_once(
    stack, tmp_path, shim_env, terraform_env
):
    driver = start_sleeping_apply(stack, tmp_path, shim_env)
    os.killpg(driver.proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    assert_stopped_gracefully(driver, stack, tmp_path, terraform_env)


def test_sigterm_to_the_deployer_alone_reaches_terraform_once(
    stack, tmp_path, shim_env, terraform_env
):
    driver = start_sleeping_apply(stack, tmp_path, shim_env)
    os.kill(driver.proc.pid, signal.SIGTERM)  # what CI runners and `kill` do
    assert_stopped_gracefully(driver, stack, tmp_path, terraform_env)
    assert "SIGTERM received" in driver.output()


def test_a_second_interrupt_kills_terraform_with_a_warning(stack, tmp_path, shim_env):
    # The shim keeps the SIGINT from Terraform, so Terraform does not stop and the shim
    # stays alive (logging) until the deployer kills it: its log then counts every signal
    # that reached Terraform's process group, with no race against Terraform's exit.
    env = dict(shim_env, SHIM_SWALLOW_SIGINT="1")
    driver = start_sleeping_apply(stack, tmp_path, env)
    os.killpg(driver.proc.pid, signal.SIGINT)
    driver.wait_for("waiting for Terraform to stop gracefully")
    os.killpg(driver.proc.pid, signal.SIGINT)
    returncode, [result] = driver.finish()

    assert returncode == EXIT_INTERRUPTED
    assert result["error"] == "TerraformInterrupted"
    assert "was killed" in result["message"]
    assert "Second interrupt: Terraform was killed" in driver.output()
    assert applies(tmp_path) == [["SIGINT"]]  # the second one was SIGKILL
    assert "Interrupt received" not in driver.output()  # nothing reached Terraform directly
    [apply_key] = [key for key in signals_seen(tmp_path) if key.endswith(" apply")]
    with pytest.raises(ProcessLookupError):
        os.kill(int(apply_key.split()[0]), 0)  # killed, and reaped by the deployer


def test_ctrl_c_stops_terraforms_running_side_by_side_once_each(tmp_path, shim_env, terraform_env):
    """`plan --all` shape: threads under `forward_interrupts()` in the main thread."""
    stacks = []
    for name in ("a", "b"):
        stack = tmp_path / name
        shutil.copytree(STACK, stack)
        Terraform(stack, data_dir=stack / "tfdata", env=terraform_env, stream=None).init()
        stacks.append((stack, stack / "tfdata"))
    driver = Driver(stacks, shim_env, var_file(tmp_path, sleep_seconds=60))
    driver.wait_for("Executing:")
    driver.wait_for("Executing:")  # both applies hold their lock and sleep
    os.killpg(driver.proc.pid, signal.SIGINT)
    returncode, results = driver.finish()

    assert returncode == EXIT_INTERRUPTED, driver.output()
    assert [r["error"] for r in results] == ["TerraformInterrupted"] * 2
    assert applies(tmp_path) == [["SIGINT"], ["SIGINT"]]
    assert driver.output().count("Interrupt received.") == 2
    for stack, _ in stacks:
        assert {"revision", "secret"} <= {r["name"] for r in read_state(stack)["resources"]}
        assert not (stack / LOCK_INFO).exists()


# --- a session of its own, where interrupts are forwarded ------------------------------------

SESSION_PROBE = [sys.executable, "-c", "import os; print(os.getsid(0) == os.getpid())"]


def probe_session(*, in_thread: bool) -> bool:
    """Whether a child started by the runner leads a session of its own."""
    outcome: list[Completed] = []

    def run() -> None:
        outcome.append(
            run_streaming(
                SESSION_PROBE, cwd=Path.cwd(), env=dict(os.environ), stream=None, notify=print
            )
        )

    if in_thread:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    else:
        run()
    assert outcome[0].returncode == 0
    assert outcome[0].own_session == (outcome[0].stdout.strip() == "True")
    return outcome[0].own_session


def test_terraform_gets_its_own_session_only_where_interrupts_are_forwarded():
    before = signal.getsignal(signal.SIGINT)
    assert probe_session(in_thread=False)  # main thread: the runner installs the handlers
    # A thread cannot install handlers: Terraform stays in the terminal's process group, so
    # the terminal's Ctrl-C reaches it directly (once), instead of never.
    assert not probe_session(in_thread=True)
    with forward_interrupts():
        assert signal.getsignal(signal.SIGINT) is not before
        assert probe_session(in_thread=True)
    assert signal.getsignal(signal.SIGINT) is before

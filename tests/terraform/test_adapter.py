"""The Terraform adapter against the real binary and a stack of Terraform built-ins.

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

import contextlib
import json
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from python_terraform import IsFlagged

from deployer.common import processes as terraform_process
from deployer.common.errors import EXIT_INTERRUPTED, DeployerError
from deployer.common.processes import Completed
from deployer.terraform.adapter import (
    SENSITIVE,
    ProviderRegistryUnreachableError,
    StalePlanError,
    StateLockedError,
    Terraform,
    TerraformError,
    _CommandLine,
)
from deployer.terraform.errors import display_command, parse_lock_info
from deployer.terraform.sensitive import redact_json, redact_outputs

FIXTURES = Path(__file__).parent / "fixtures"
STACK = FIXTURES / "builtin_stack"
DRIVER = FIXTURES / "terraform_driver.py"
SHIM = FIXTURES / "terraform_shim.py"
LOCK_INFO = ".terraform.tfstate.lock.info"
# Only a guard against a hung test: no assertion depends on it.
HANG_GUARD_SECONDS = 120


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    dest = tmp_path / "stack"
    shutil.copytree(STACK, dest)
    return dest


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


def var_file(tmp_path: Path, name: str = "vars", **values) -> Path:
    path = tmp_path / f"{name}.tfvars.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


def read_state(stack: Path) -> dict:
    return json.loads((stack / "terraform.tfstate").read_text(encoding="utf-8"))


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
    assert streamed == result.stdout.splitlines()
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


# --- errors ----------------------------------------------------------------------------------


def test_terraform_error_names_command_exit_code_and_stderr_tail():
    argv = ["/usr/bin/terraform", "init", "-input=false", "-var=password=hunter2",
            "-backend-config=secret_key=abc123", "-backend-config=/x/dev.backend.hcl"]  # fmt: skip
    command = display_command(argv)
    assert command == (
        "terraform init -input=false -var=<hidden> -backend-config=secret_key=<hidden> "
        "-backend-config=/x/dev.backend.hcl"
    )
    stderr = "\n".join(f"line {i}" for i in range(30)) + "\n╷\n│ Error: boom\n│ \n│   details\n╵\n"
    error = TerraformError(command, 1, stderr)
    assert isinstance(error, DeployerError)
    assert error.exit_code == 1
    head, *tail = error.message.splitlines()
    assert head == f"`{command}` failed with exit code 1; Terraform said:"
    assert tail[-2:] == ["  Error: boom", "  details"]
    assert len(tail) == 20 and tail[0] == "  line 12"
    assert "hunter2" not in error.message and "abc123" not in error.message
    assert TerraformError("terraform validate", 3, "").message == (
        "`terraform validate` failed with exit code 3."
    )


def test_lock_info_is_parsed_from_terraforms_message():
    text = (
        "╷\n│ Error: Error acquiring the state lock\n│ \n│ Lock Info:\n"
        "│   ID:        4418bda6-8b67-32bc-4824-13c7adbd6210\n│   Path:      terraform.tfstate\n"
        "│   Operation: OperationTypeApply\n│   Who:       alice@laptop\n│   Info:      \n╵\n"
    )
    assert parse_lock_info(text) == {
        "ID": "4418bda6-8b67-32bc-4824-13c7adbd6210",
        "Path": "terraform.tfstate",
        "Operation": "OperationTypeApply",
        "Who": "alice@laptop",
        "Info": "",
    }


@pytest.mark.parametrize("mirror", [False, True], ids=["no-mirror", "mirror"])
def test_init_that_cannot_reach_the_registry_says_what_to_configure(
    tmp_path, terraform_env, mirror
):
    stack = tmp_path / "aws_stack"
    stack.mkdir()
    (stack / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n',
        encoding="utf-8",
    )
    # A CLI config with no mirror in it: the AWS provider can only come from the registry.
    config = tmp_path / "plain.tfrc"
    config.write_text("", encoding="utf-8")
    env = dict(terraform_env, HOME=str(tmp_path), TF_CLI_CONFIG_FILE=str(config))
    # A closed local port as proxy: the registry is unreachable at once, online or not.
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="")
    tf = Terraform(
        stack, data_dir=tmp_path / "d", env=env, cli_config=config if mirror else None, stream=None
    )
    with pytest.raises(ProviderRegistryUnreachableError) as caught:
        tf.init()
    message = caught.value.message
    assert message.startswith("terraform init could not reach the provider registry")
    if mirror:
        assert "the configured offline mirror does not hold" in message
    else:
        assert "no provider mirror is configured" in message
        assert "DEPLOYER_PROVIDER_MIRROR" in message
        assert "`provider_mirror` under [tool.deployer]" in message
    assert "registry.terraform.io" in message  # Terraform's own words follow


def test_json_redaction_follows_terraforms_markers_at_any_depth():
    doc = {
        "variables": {"token": {"value": "tok-123456"}, "region": {"value": "eu-west-1"}},
        "configuration": {
            "root_module": {"variables": {"token": {"sensitive": True, "default": "dflt-999"}}}
        },
        "planned_values": {
            "outputs": {"url": {"sensitive": False, "value": "https://x"}},
            "root_module": {
                "child_modules": [
                    {
                        "resources": [
                            {
                                "values": {"tags": {"a": "keep", "b": "pw-abcdef"}, "l": [1, "s1"]},
                                "sensitive_values": {"tags": {"b": True}, "l": [False, True]},
                            }
                        ]
                    }
                ]
            },
        },
        "resource_changes": [
            {"change": {"before": None, "after": {"copy": "pw-abcdef!"}, "after_sensitive": {}}}
        ],
        "output_changes": {"pw": {"before": "x", "after": "out-7777", "after_sensitive": True}},
    }
    redacted = redact_json(doc, secrets=["extra-secret"])
    text = json.dumps(redacted)
    for secret in ("tok-123456", "dflt-999", "pw-abcdef", "out-7777"):
        assert secret not in text
    values = redacted["planned_values"]["root_module"]["child_modules"][0]["resources"][0]
    assert values["values"] == {"tags": {"a": "keep", "b": SENSITIVE}, "l": [1, SENSITIVE]}
    # An unmarked copy of a marked value is masked too (terraform_data's `output` case).
    assert redacted["resource_changes"][0]["change"]["after"]["copy"] == f"{SENSITIVE}!"
    assert redacted["variables"]["region"]["value"] == "eu-west-1"
    assert doc["variables"]["token"]["value"] == "tok-123456"  # the input is left alone
    assert redact_outputs({"o": {"sensitive": True, "value": {"k": "v-secret"}}}) == {
        "o": {"sensitive": True, "value": SENSITIVE}
    }


def test_missing_or_old_terraform_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DeployerError, match="terraform was not found on PATH"):
        Terraform(tmp_path, data_dir=tmp_path / "d")
    old = tmp_path / "terraform"
    old.write_text('#!/bin/sh\necho \'{"terraform_version": "1.5.7"}\'\n', encoding="utf-8")
    old.chmod(0o755)
    with pytest.raises(DeployerError, match=r"older than 1\.7"):
        Terraform(tmp_path, data_dir=tmp_path / "d")


# --- interrupts and locks, in a driver process --------------------------------------------------


class Driver:
    """The adapter running `plan` + `apply` in its own process (and process group)."""

    def __init__(self, stacks: list[tuple[Path, Path]], env: dict[str, str], var_file: Path):
        argv = [sys.executable, str(DRIVER), "apply", "--var-file", str(var_file)]
        for working_dir, data_dir in stacks:
            argv += ["--stack", str(working_dir), str(data_dir)]
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,  # a process group of its own, like a shell job
        )
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, needle: str) -> None:
        """Block until the driver prints a line containing `needle`."""
        while True:
            try:
                line = self._queue.get(timeout=HANG_GUARD_SECONDS)
            except queue.Empty:
                line = None
            if line is None:
                self.kill()
                pytest.fail(f"the driver never printed {needle!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if needle in line:
                return

    def finish(self) -> tuple[int, list[dict]]:
        """Wait for the driver to exit: its exit code and its RESULT (one entry per stack)."""
        try:
            returncode = self.proc.wait(timeout=HANG_GUARD_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("the driver did not exit:\n" + "\n".join(self.lines))
        while (line := self._queue.get(timeout=HANG_GUARD_SECONDS)) is not None:
            self.lines.append(line)
        results = [line for line in self.lines if line.startswith("RESULT ")]
        assert results, "\n".join(self.lines)
        return returncode, json.loads(results[-1][len("RESULT ") :])

    def output(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


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
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


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


def start_sleeping_apply(stack, tmp_path, env) -> Driver:
    Terraform(stack, data_dir=tmp_path / "tfdata", env=env, stream=None).init()
    driver = Driver([(stack, tmp_path / "tfdata")], env, var_file(tmp_path, sleep_seconds=60))
    driver.wait_for("Executing:")  # the apply holds the lock and sleeps
    return driver


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


def test_a_second_run_is_refused_while_the_first_holds_the_lock(
    stack, tmp_path, shim_env, terraform_env
):
    driver = start_sleeping_apply(stack, tmp_path, shim_env)
    try:
        holder = json.loads((stack / LOCK_INFO).read_text(encoding="utf-8"))
        tf = Terraform(stack, data_dir=tmp_path / "tfdata", env=terraform_env, stream=None)
        with pytest.raises(StateLockedError) as caught:
            tf.plan(out=tmp_path / "second.tfplan")
    finally:
        os.kill(driver.proc.pid, signal.SIGTERM)
        driver.finish()
    error = caught.value
    assert error.lock_id == holder["ID"]
    assert error.who == holder["Who"]
    assert error.operation == "OperationTypeApply"
    assert holder["ID"] in error.message
    assert "--lock-timeout 30s" in error.message
    assert f"force-unlock {holder['ID']}" in error.message
    assert error.message.startswith(f"The state is locked by {holder['Who']} (lock ID ")


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


SESSION_PROBE = [sys.executable, "-c", "import os; print(os.getsid(0) == os.getpid())"]


def probe_session(*, in_thread: bool) -> bool:
    """Whether a child started by the runner leads a session of its own."""
    outcome: list[Completed] = []

    def run() -> None:
        outcome.append(
            terraform_process.run(
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
    with terraform_process.forward_interrupts():
        assert signal.getsignal(signal.SIGINT) is not before
        assert probe_session(in_thread=True)
    assert signal.getsignal(signal.SIGINT) is before


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

"""Child processes other than Terraform's streaming runs (deployer.common.processes and
liveness): captured and bounded runs, the detached spawn, the one `ProcessError`, and the
callers that start their children through them (terraform version, pip, the handler
runner). Every child here is a real process (`sys.executable -c ...`, a script on PATH)."""

from __future__ import annotations

import io
import os
import shlex
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from deployer.common import (
    DeployerError,
    ProcessError,
    process_command_line,
    process_gone,
    run_captured,
    spawn_detached,
    terminate_session,
)
from deployer.emulator.control import _cmdline
from deployer.invoke.run import run_handler
from deployer.packaging import dependencies
from deployer.runtime import FunctionCode
from deployer.terraform import find_terraform
from deployer.terraform.binary import INSTALL_HINT

PY = sys.executable
SPEAKER = os.path.basename(PY)


def python(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# --- the one error type ----------------------------------------------------------------------


def test_a_failed_command_names_the_quoted_command_its_exit_code_and_its_last_lines():
    # One line of code, so the command is one line of the message; blank lines not quoted.
    argv = python(
        "import sys; print('from stdout'); "
        "[print(f'line {i}', '\\n   ', file=sys.stderr) for i in range(30)]; sys.exit(3)"
    )
    completed = run_captured(argv)
    assert completed.returncode == 3
    with pytest.raises(ProcessError) as caught:
        completed.check()
    error = caught.value
    assert isinstance(error, DeployerError) and error.exit_code == 1
    assert (error.argv, error.returncode) == (tuple(argv), 3)
    head, *tail = error.message.splitlines()
    assert head == f"`{shlex.join(argv)}` failed with exit code 3; {SPEAKER} said:"
    # Shell-quoted: the backquoted command splits back into exactly the argv that ran.
    assert shlex.split(head[1 : head.rindex("`")]) == argv
    assert len(tail) == 20
    assert tail[0] == "  line 10" and tail[-1] == "  line 29"


def test_a_summary_leads_and_silence_makes_one_line():
    argv = python("import sys; sys.exit(4)")
    with pytest.raises(ProcessError) as caught:
        run_captured(argv).check()
    plain = caught.value
    assert plain.message == f"`{shlex.join(argv)}` failed with exit code 4."
    led = plain.with_summary("The widget could not be built: install the widget kit")
    assert led.message == (
        f"The widget could not be built: install the widget kit (`{shlex.join(argv)}` "
        "failed with exit code 4)."
    )
    assert (led.argv, led.returncode) == (plain.argv, plain.returncode)
    ok = run_captured(python("pass"))
    assert ok.check() is ok


def test_a_child_killed_by_a_signal_and_one_that_cannot_start_are_told_apart(tmp_path):
    with pytest.raises(ProcessError) as killed:
        run_captured(python("import os, signal; os.kill(os.getpid(), signal.SIGTERM)")).check()
    assert killed.value.returncode == -signal.SIGTERM
    assert "was killed by SIGTERM." in killed.value.message

    missing = tmp_path / "no such tool"
    with pytest.raises(ProcessError) as never:
        run_captured([str(missing), "--flag"])
    assert never.value.returncode is None
    assert never.value.message.startswith(f"`{shlex.join([str(missing), '--flag'])}` could not")
    assert "No such file or directory" in never.value.message


def test_python_m_tools_speak_as_the_module():
    argv = [PY, "-m", "pip", "install", "--no-such-option-here"]
    with pytest.raises(ProcessError) as caught:
        run_captured(argv).check()
    assert "; pip said:\n" in caught.value.message
    assert "no such option" in caught.value.message


# --- captured runs ----------------------------------------------------------------------------


def test_a_captured_run_keeps_stdout_and_stderr_apart_with_env_and_cwd(tmp_path):
    completed = run_captured(
        python("""
            import os, sys
            print(os.getcwd(), os.environ["PROBE"])
            sys.stdout.buffer.write(b"bad byte: \\xff\\n")
            print("to stderr", file=sys.stderr)
        """),
        env={**os.environ, "PROBE": "probed"},
        cwd=tmp_path,
        timeout=30,
    )
    assert completed.returncode == 0 and not completed.timed_out
    first, second = completed.stdout.splitlines()
    assert first == f"{tmp_path} probed"
    assert second == "bad byte: \ufffd"  # undecodable output is kept, not lost
    assert completed.stderr == "to stderr\n"


def test_combine_keeps_stderr_in_stdout_in_the_order_it_was_written():
    completed = run_captured(
        python("""
            import sys
            for i in range(3):
                print(f"out {i}", flush=True)
                print(f"err {i}", file=sys.stderr, flush=True)
        """),
        combine=True,
    )
    assert completed.stdout.splitlines() == [
        "out 0", "err 0", "out 1", "err 1", "out 2", "err 2"
    ]  # fmt: skip
    assert completed.stderr == ""


def test_output_to_a_file_descriptor_goes_there_and_is_not_kept(tmp_path):
    target = tmp_path / "out.log"
    with open(target, "wb") as out:
        completed = run_captured(
            python("import sys; print('live'); print('also live', file=sys.stderr)"),
            output_fd=out.fileno(),
        )
    assert (completed.stdout, completed.stderr) == ("", "")
    assert target.read_text().splitlines() == ["live", "also live"]


# --- time limits ------------------------------------------------------------------------------

SLEEPER = """
    import os, sys, time
    print("pid", os.getpid(), flush=True)
    print("working on it", file=sys.stderr, flush=True)
    time.sleep(60)
    print("never")
"""


def test_a_timeout_kills_the_child_and_keeps_what_it_printed():
    started = time.monotonic()
    completed = run_captured(python(SLEEPER), timeout=1)
    assert time.monotonic() - started < 10
    assert completed.timed_out and completed.timed_out_after == 1
    assert completed.returncode == -signal.SIGKILL
    assert completed.stdout.startswith("pid ") and "never" not in completed.stdout
    assert completed.stderr == "working on it\n"
    assert process_gone(int(completed.stdout.split()[1]))
    with pytest.raises(ProcessError) as caught:
        completed.check()
    message = caught.value.message
    assert message.startswith(f"`{shlex.join(python(SLEEPER))}` did not finish within 1 s")
    assert message.endswith("said:\n  pid " + completed.stdout.split()[1] + "\n  working on it")


def test_a_timeout_with_output_to_a_file_keeps_it_there(tmp_path):
    target = tmp_path / "out.log"
    with open(target, "wb") as out:
        completed = run_captured(python(SLEEPER), timeout=1, output_fd=out.fileno())
    assert completed.timed_out and completed.stdout == ""
    assert "working on it" in target.read_text()


def test_a_grandchild_holding_the_pipe_does_not_hang_a_timed_out_run():
    code = f"""
        import subprocess, sys, time
        holder = subprocess.Popen([{PY!r}, "-c", "import time; time.sleep(30)"])
        print("holder", holder.pid, flush=True)
        time.sleep(60)
    """
    started = time.monotonic()
    completed = run_captured(python(code), timeout=1)
    try:
        assert time.monotonic() - started < 15  # 1 s limit, then a bounded grace for the pipe
        assert completed.timed_out
        assert completed.stdout.startswith("holder ")  # read before the limit: kept
    finally:
        holder = int(completed.stdout.split()[1])
        with pytest.raises(ProcessLookupError):
            while True:
                os.kill(holder, signal.SIGKILL)
                time.sleep(0.05)


# --- detached children ------------------------------------------------------------------------

# Where a child's stdin comes from; the deployer's own stdin is never handed down.
STDIN = "import os; print('stdin', os.path.realpath('/proc/self/fd/0'), flush=True)"

SERVER = f"""
    import os, subprocess, sys, time
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    {STDIN}
    print("helper-pid", helper.pid, flush=True)
    print("on", "stderr", file=sys.stderr, flush=True)
    while True:
        time.sleep(0.2)
        print("tick", flush=True)
"""

STARTER = f"""
    import os, sys, time
    from pathlib import Path
    from deployer.common import run_captured, spawn_detached
    log = Path("server.log")
    proc = spawn_detached(sys.argv[1:], cwd=Path.cwd(), env=dict(os.environ), log=log)
    print(proc.pid, flush=True)
    print(run_captured([sys.executable, "-c", {STDIN!r}]).stdout, flush=True)
    time.sleep(60)  # until the "terminal" interrupts it
"""


def start_in_a_terminal(argv: list[str], cwd: Path) -> tuple[subprocess.Popen, int]:
    """`argv` as a terminal's foreground job: its own process group, stdin a live pipe.

    Returns the process and the pipe's write end, which the caller closes at the end.
    """
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdin=read_end,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    finally:
        os.close(read_end)  # the write end stays open: the pipe is live, never at EOF
    return proc, write_end


def ticks(log: Path) -> int:
    return log.read_text().splitlines().count("tick")


def test_a_detached_child_outlives_a_ctrl_c_that_ends_its_starter_and_logs(tmp_path):
    server = python(SERVER)
    starter, keyboard = start_in_a_terminal([*python(STARTER), *server], tmp_path)
    pid = int(starter.stdout.readline())
    log = tmp_path / "server.log"
    try:
        # A captured run's stdin is /dev/null too, not the starter's live pipe.
        assert starter.stdout.readline() == "stdin /dev/null\n"
        assert wait_until(lambda: ticks(log) > 0)
        os.killpg(starter.pid, signal.SIGINT)  # Ctrl-C to the starter's foreground group
        assert starter.wait(timeout=30) != 0  # the starter stopped on it
        before = ticks(log)
        assert wait_until(lambda: ticks(log) > before + 2)  # still running
        text = log.read_text()
        assert text.startswith(f"\n--- starting: {shlex.join(server)}\n")
        assert "\nstdin /dev/null\n" in text
        assert "\non stderr\n" in text
        assert os.getsid(pid) == pid != os.getsid(0)
        assert "import os, subprocess" in process_command_line(pid)
        helper = int(text.split("\nhelper-pid ")[1].split()[0])
        assert process_command_line(helper) is not None
    finally:
        os.close(keyboard)
        stopped = terminate_session(pid, timeout=5)
        if starter.poll() is None:
            os.killpg(starter.pid, signal.SIGKILL)
        starter.wait()
        starter.stdout.close()
    assert stopped and process_gone(pid)
    assert wait_until(lambda: process_gone(helper))  # its whole group went with it


def test_a_detached_child_that_exits_is_gone_once_reaped_and_a_zombie_counts_as_gone(tmp_path):
    proc = spawn_detached(
        python("print('bye')"), cwd=tmp_path, env=dict(os.environ), log=tmp_path / "log"
    )
    # Exited but not reaped by us: a zombie, which holds its pid yet runs nothing.
    assert wait_until(lambda: process_command_line(proc.pid) is None)
    assert Path(f"/proc/{proc.pid}").exists()
    assert process_gone(proc.pid)  # reaps it
    assert not Path(f"/proc/{proc.pid}").exists()
    assert "bye" in (tmp_path / "log").read_text()
    assert process_command_line(os.getpid()) is not None


def test_a_detached_command_that_cannot_start_is_a_process_error(tmp_path):
    with pytest.raises(ProcessError, match="could not start"):
        spawn_detached(
            [str(tmp_path / "missing")], cwd=tmp_path, env=dict(os.environ), log=tmp_path / "log"
        )


def test_the_emulator_keeps_its_cmdline_name():
    assert _cmdline is process_command_line


# --- the callers ------------------------------------------------------------------------------


def fake_terraform(folder: Path, body: str) -> Path:
    script = folder / "terraform"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_a_terraform_whose_version_fails_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    script = fake_terraform(tmp_path, "exit 1")
    with pytest.raises(ProcessError) as caught:
        find_terraform()
    assert caught.value.message == (
        f"{script} did not report its version: {INSTALL_HINT} (`{script} version -json` "
        "failed with exit code 1)."
    )
    fake_terraform(tmp_path, "echo 'Illegal instruction' >&2; exit 132")
    with pytest.raises(ProcessError) as caught:
        find_terraform()
    assert caught.value.message.endswith("exit code 132); terraform said:\n  Illegal instruction")


def test_a_terraform_that_prints_no_json_or_cannot_run_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    script = fake_terraform(tmp_path, "echo 'Terraform v1.9.0'")
    with pytest.raises(DeployerError) as caught:
        find_terraform()
    assert caught.value.message.startswith(f"{script} did not report its version (Expecting")
    assert "\n" not in caught.value.message
    script.write_bytes(b"\x7fELF not really a binary")
    with pytest.raises(ProcessError) as caught:
        find_terraform()
    assert caught.value.returncode is None
    assert f"(`{script} version -json` could not start (" in caught.value.message
    fake_terraform(tmp_path, 'echo \'{"terraform_version": "1.10.3"}\'')
    assert find_terraform().version == (1, 10, 3)


def test_a_real_pip_failure_keeps_its_sentence_and_adds_command_exit_code_and_output(tmp_path):
    root = tmp_path / "project"
    (root / "lambda_src/fn").mkdir(parents=True)
    requirements_file = root / "lambda_src/fn/requirements.txt"
    requirements_file.write_text("not a valid requirement!!\n", encoding="utf-8")
    requirements = dependencies.read_requirements([requirements_file], root)
    key = dependencies.dependency_key(requirements, "python3.12", "x86_64")
    cache = dependencies.DependencyCache(tmp_path / "cache")
    with pytest.raises(ProcessError) as caught:
        cache.ensure(key, requirements, "python3.12", "x86_64", ["fn"])
    error = caught.value
    assert error.argv[1:4] == ("-m", "pip", "install") and error.returncode == 1
    sentence, said = error.message.split(" (`", 1)[0], error.message.split("\n", 1)[1]
    assert sentence.startswith(
        "fn: pip could not install the requirement 'not a valid requirement!!' from "
        "fn/requirements.txt for python3.12 x86_64"
    )
    assert f"(`{shlex.join(error.argv)}` failed with exit code 1); pip said:\n" in error.message
    assert "  ERROR: Invalid requirement: 'not a valid requirement!!'" in said
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.is_dir()] == []  # no staging


def test_pip_runs_through_the_shared_runner():
    completed = dependencies.run_pip([PY, "-m", "pip", "--version"])
    assert completed.returncode == 0 and completed.stdout.startswith("pip ")
    assert completed.argv == (PY, "-m", "pip", "--version")


def run_spec(folder: Path, code: str, timeout: int) -> FunctionCode:
    folder.mkdir(exist_ok=True)
    (folder / "handler.py").write_text(textwrap.dedent(code), encoding="utf-8")
    return FunctionCode(
        name="demo-local-fn",
        arn="arn:aws:lambda:eu-west-1:123456789012:function:demo-local-fn",
        handler="handler.handler",
        timeout=timeout,
        memory=128,
        code_paths=(str(folder),),
    )


HANDLER_THAT_HANGS = """
    import sys, time
    def handler(event, context):
        print("before the hang", flush=True)
        print("a log record", file=sys.stderr, flush=True)
        time.sleep(60)
"""


def test_a_handler_that_times_out_still_shows_what_it_printed(tmp_path):
    spec = run_spec(tmp_path / "fn", HANDLER_THAT_HANGS, timeout=1)
    log = io.StringIO()  # no file descriptor: output is captured, then relayed
    started = time.monotonic()
    result = run_handler("fn", spec, {}, {"PATH": "/usr/bin:/bin"}, log)
    assert time.monotonic() - started < 15
    assert not result.ok and result.error["errorType"] == "Sandbox.Timedout"
    lines = log.getvalue().splitlines()
    assert lines[-3:-1] == ["before the hang", "a log record"]
    assert lines[-1].endswith("Task timed out after 1.00 seconds")


def test_a_handlers_output_goes_live_to_a_real_log_file(tmp_path):
    go = tmp_path / "go"
    spec = run_spec(
        tmp_path / "fn",
        f"""
        import os, sys, time
        def handler(event, context):
            print("printed", flush=True)
            print("logged", file=sys.stderr, flush=True)
            deadline = time.monotonic() + 15
            while not os.path.exists({str(go)!r}) and time.monotonic() < deadline:
                time.sleep(0.05)
            return {{"went_on": os.path.exists({str(go)!r})}}
        """,
        timeout=20,
    )
    log_path = tmp_path / "invoke.log"
    results = []
    with open(log_path, "w") as log:
        env = {"PATH": "/usr/bin:/bin"}
        worker = threading.Thread(
            target=lambda: results.append(run_handler("fn", spec, {}, env, log))
        )
        worker.start()
        # Seen while the handler still runs: it went to the file, not into a buffer.
        seen = wait_until(lambda: "logged" in log_path.read_text(), timeout=15)
        go.touch()
        worker.join()
    assert seen
    assert results[0].ok and results[0].response == {"went_on": True}
    lines = log_path.read_text().splitlines()
    assert lines.index("printed") < lines.index("logged")

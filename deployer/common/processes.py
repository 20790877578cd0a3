"""The one place the deployer starts a child process, and what it learns from each.

Every child (Terraform, pip, `ps`, the emulator server, a function's handler) is started
here, never through a shell (argv lists only), with stdin at /dev/null: nothing the
deployer runs can stop to wait for a keyboard the user does not know is being read.
Three shapes cover them:

- `run_streaming`: Terraform. Output (written to files it follows, so Terraform outlives a
  killed deployer) streams live through a callback and is kept; Ctrl-C
  and SIGTERM are forwarded to it exactly once (`deployer.common.interrupts` says why and
  how), so it stops gracefully instead of losing state.
- `run_captured`: short commands run to their end (`terraform version`, pip, `ps`, the
  handler runner): output kept (or sent to a file descriptor as it comes), an optional
  time limit after which the child is killed and what it printed so far is kept.
- `spawn_detached`: the emulator server, which outlives the command that starts it.

A run returns `Completed`; whether a non-zero exit is an error is the caller's call, and
`Completed.check()` turns it into the one `ProcessError` (command, exit code, output tail).
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from deployer.common.errors import ProcessError
from deployer.common.interrupts import (
    attended,
    forward_interrupts,
    signal_count,
    signals_received,
)
from deployer.common.output_files import follow, output_files

# (line without its newline, "stdout" | "stderr"); called from the thread running Terraform.
StreamCallback = Callable[[str, str], None]

# Terraform's colours and text styles; kept output is plain text.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# How often the runner looks at the signal count while Terraform is silent.
_POLL_SECONDS = 0.1
# How often `watch` is asked whether the child must stop.
_WATCH_SECONDS = 1.0
# After a child exits (or is killed), how long to wait for a grandchild that still holds
# its pipes.
_PIPE_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Completed:
    """What one child process did."""

    returncode: int
    stdout: str
    stderr: str
    # Signal names the deployer received while Terraform ran ("SIGINT", "SIGTERM").
    signals: tuple[str, ...] = ()
    # True when a second signal made the deployer kill Terraform's process group.
    killed: bool = False
    # True when Terraform ran in its own session (interrupts forwarded by the deployer).
    own_session: bool = False
    # The command, for messages about it.
    argv: tuple[str, ...] = ()
    # The time limit (seconds) the child ran into and was killed at; None when it ended.
    timed_out_after: float | None = None
    # Why the runner interrupted the child itself (what `watch` saw), if it did.
    stopped_because: str | None = None

    @property
    def interrupted(self) -> bool:
        return bool(self.signals)

    @property
    def timed_out(self) -> bool:
        return self.timed_out_after is not None

    @property
    def output(self) -> str:
        """stdout then stderr: the order a failing program's last words are found in."""
        return "\n".join(part.rstrip("\n") for part in (self.stdout, self.stderr) if part)

    def check(self) -> Completed:
        """Itself when the child exited 0; otherwise the `ProcessError` that tells it."""
        if self.returncode != 0 or self.timed_out:
            raise ProcessError(
                self.argv, self.returncode, self.output, timeout=self.timed_out_after
            )
        return self


def _kill_group(proc: subprocess.Popen, own_session: bool) -> None:
    try:
        if own_session:
            os.killpg(proc.pid, signal.SIGKILL)  # providers and provisioner commands too
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _line(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def run_streaming(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    stream: StreamCallback | None,
    notify: Callable[[str], None],
    transform: Callable[[str], str] = lambda line: line,
    output_dir: Path | None = None,
    watch: Callable[[], str | None] | None = None,
) -> Completed:
    """Run `argv` (never through a shell); stream each line live and keep it.

    The child writes to files in `output_dir` (a temporary folder when None), which are
    followed: it outlives a deployer that is killed (`deployer.common.output_files`).
    `transform` is applied to every line before it is streamed or kept (secret masking);
    kept lines lose their colour codes, streamed lines keep them.
    `notify` tells the user what the deployer does about an interrupt. `watch`, called
    about once a second, returns why the child must stop (something it depends on died):
    the child is interrupted once, gracefully, as for a Ctrl-C, and `notify` says why.
    Never raises for a non-zero exit code: the caller maps it.
    """
    with forward_interrupts() as forwarding:
        if forwarding and signal_count():
            # Ctrl-C arrived before this Terraform started (e.g. another environment in
            # `plan --all`): do not start anything new.
            return Completed(
                130, "", "", signals=signals_received(), own_session=True, argv=tuple(argv)
            )

        with output_files(output_dir) as (out_file, err_file, out_path, err_path):

            def start() -> subprocess.Popen:
                try:
                    return subprocess.Popen(
                        list(argv),
                        cwd=cwd,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=out_file,
                        stderr=err_file,
                        start_new_session=forwarding,
                    )
                finally:  # the child holds its own copies
                    out_file.close()
                    err_file.close()

            with attended(start) as proc:
                return _follow(
                    proc, (out_path, err_path), forwarding, stream, notify, transform, watch
                )


def _follow(
    proc: subprocess.Popen,
    files: tuple[Path, Path],
    forwarding: bool,
    stream: StreamCallback | None,
    notify: Callable[[str], None],
    transform: Callable[[str], str],
    watch: Callable[[], str | None] | None = None,
) -> Completed:
    lines: queue.Queue = queue.Queue()
    stopped_because: str | None = None
    next_watch = time.monotonic() + _WATCH_SECONDS

    def exited() -> bool:
        return proc.returncode is not None or proc.poll() is not None

    readers = [
        threading.Thread(target=follow, args=(path, channel, lines, exited, _line), daemon=True)
        for path, channel in zip(files, ("stdout", "stderr"), strict=True)
    ]
    for reader in readers:
        reader.start()
    kept: dict[str, list[str]] = {"stdout": [], "stderr": []}
    open_pipes, acted_on, killed = 2, 0, False
    exited_at: float | None = None
    try:
        while open_pipes:
            try:
                channel, line = lines.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                channel, line = None, None
            if channel is not None and line is None:
                open_pipes -= 1
            elif channel is not None:
                line = transform(line)
                kept[channel].append(_ANSI.sub("", line))
                if stream is not None:
                    stream(line, channel)
            if watch is not None and stopped_because is None and time.monotonic() >= next_watch:
                next_watch = time.monotonic() + _WATCH_SECONDS
                stopped_because = watch()
                if stopped_because is not None and proc.poll() is None and acted_on == 0:
                    proc.send_signal(signal.SIGINT)  # one, as for a Ctrl-C: it stops cleanly
                    acted_on = 1
                    notify(f"{stopped_because}: Terraform was interrupted to stop gracefully.")
            seen = signal_count() if forwarding else 0
            if seen > acted_on and proc.poll() is None:
                if acted_on == 0:
                    proc.send_signal(signal.SIGINT)  # exactly one, whatever the signal was
                    notify(
                        f"{signals_received()[0]} received: waiting for Terraform to stop "
                        "gracefully (it saves state and releases the lock); "
                        "interrupt again to kill it."
                    )
                if seen >= 2:
                    _kill_group(proc, forwarding)
                    killed = True
                    notify(
                        "Second interrupt: Terraform was killed. Its state may be incomplete "
                        "and its lock may still be held: check with a plan before the next "
                        "apply, and force-unlock only if no other run holds the lock."
                    )
                acted_on = seen
            if proc.poll() is not None:
                exited_at = exited_at or time.monotonic()
                if time.monotonic() - exited_at > _PIPE_GRACE_SECONDS:
                    break  # a follower is stuck on a slow file; Terraform itself is done
        returncode = proc.wait()
    except BaseException:
        # The stream callback failed, or KeyboardInterrupt arrived without our handlers:
        # never leave Terraform running unattended.
        if proc.poll() is None:
            if acted_on == 0 and forwarding:
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait()
            except BaseException:
                _kill_group(proc, forwarding)
                raise
        raise
    finally:
        if open_pipes == 0:
            for reader in readers:
                reader.join()
    return Completed(
        returncode=returncode,
        stdout="\n".join(kept["stdout"]) + ("\n" if kept["stdout"] else ""),
        stderr="\n".join(kept["stderr"]) + ("\n" if kept["stderr"] else ""),
        signals=signals_received() if forwarding else (),
        killed=killed,
        own_session=forwarding,
        argv=tuple(proc.args),
        stopped_because=stopped_because,
    )


def _text(data: bytes | None) -> str:
    # Kept output is for messages and for parsing as text; a stray byte must not lose it.
    return data.decode("utf-8", errors="replace") if data else ""


def run_captured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    output_fd: int | None = None,
    combine: bool = False,
) -> Completed:
    """Run a command to its end and keep what it printed (never through a shell).

    `timeout` (seconds) bounds the run: past it the child is killed, and the result says
    so (`timed_out_after`) with the output printed until then, which is what explains a
    hang. `output_fd`: stdout and stderr go there as they come (the user sees a function's
    prints live) and nothing is kept. `combine`: stderr is kept in stdout, interleaved as
    the child wrote them, for output a person reads as one log. Raises `ProcessError` only
    when the command cannot start; whether its exit code is an error is the caller's call
    (`check()`).
    """
    command = tuple(argv)
    try:
        proc = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if output_fd is None else output_fd,
            stderr=subprocess.STDOUT if combine or output_fd is not None else subprocess.PIPE,
        )
    except OSError as exc:
        raise ProcessError(command, None, reason=exc.strerror or str(exc)) from exc
    timed_out_after = None
    with proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            timed_out_after = timeout
            try:
                # communicate() again: what was read before the limit is kept, not lost.
                stdout, stderr = proc.communicate(timeout=_PIPE_GRACE_SECONDS)
            except subprocess.TimeoutExpired as still:  # a grandchild holds the pipe open
                stdout, stderr = still.stdout, still.stderr
                proc.wait()
        except BaseException:
            # Ctrl-C, or anything else: never leave the child running unattended.
            proc.kill()
            proc.wait()
            raise
    return Completed(
        returncode=proc.returncode,
        stdout=_text(stdout),
        stderr=_text(stderr),
        argv=command,
        timed_out_after=timed_out_after,
    )


def spawn_detached(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path
) -> subprocess.Popen:
    """Start a child that outlives the command starting it; its output goes to `log`.

    It leads a session of its own, so a Ctrl-C at the terminal, or the terminal closing,
    does not reach it; stdin is /dev/null and stdout and stderr are appended to `log`
    (after a line naming the command), which is all there is to read when it fails to
    come up. The caller owns the returned process: poll it, and stop its group with
    `terminate_session`.
    """
    command = tuple(argv)
    with open(log, "ab") as out:
        out.write(f"\n--- starting: {shlex.join(command)}\n".encode())
        out.flush()
        try:
            return subprocess.Popen(
                list(command),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise ProcessError(command, None, reason=exc.strerror or str(exc)) from exc

"""`deployer dev <env>`: apply if needed, serve, watch, redeploy on every saved change."""

from __future__ import annotations

import signal

from rich.markup import escape

from deployer.cli.options import EnvArgument
from deployer.cli.output import console


def dev(env: EnvArgument) -> None:
    """The inner loop on an emulated environment: apply if needed, print the API URL and a
    token, then redeploy each saved change (code only, or plan/apply) until Ctrl-C.

    Ctrl-C stops watching and exits 0; the emulator keeps running (deployer local stop).
    """
    from deployer.config import find_project
    from deployer.devloop import DevSession

    def say(line: str) -> None:
        console.print(escape(line), emoji=False, highlight=False, soft_wrap=True)

    def stop_watching(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    session = DevSession(find_project(), env, say)
    session.start()
    previous = signal.signal(signal.SIGTERM, stop_watching)  # as Ctrl-C: stop watching
    try:
        session.watch()
    except KeyboardInterrupt:
        say(f"stopped watching; the emulator keeps running ({env}: deployer local stop stops it)")
    finally:
        signal.signal(signal.SIGTERM, previous)

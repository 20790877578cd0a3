"""`deployer dev local` from a fresh copy, as a developer uses it: it applies, prints the
API URL and a token, then each saved change is live on the next request: a handler edit
(code only), a route added to a function.toml (plan/apply), and local switched to the
Lambda REQUEST authorizer in its tfvars (plan/apply; the sample authorizer function then
checks every token). Ctrl-C stops watching and leaves the emulator running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from helpers.local_stack import run_deployer, without_database
from helpers.paths import copy_project
from helpers.served_api import log_messages

from deployer.config import find_project
from deployer.emulator import status as emulator_status
from deployer.emulator import stop as stop_emulator

pytestmark = pytest.mark.slow

START_TIMEOUT = 900  # a first apply; an upper bound against hangs, not a performance limit


class Dev:
    """A running `deployer dev local` and the lines it printed."""

    def __init__(self, project: Path) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "deployer", "dev", "local"],
            cwd=project,
            env={**os.environ, "COLUMNS": "400"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float, after: int = 0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if re.search(pattern, line):
                    return line
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"no line matching {pattern!r}:\n" + "\n".join(self.lines[-60:]))


def poll(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout:.0f} s")


def test_dev_local_redeploys_each_saved_change(tmp_path, provider_mirror):
    project = copy_project(tmp_path / "project")
    without_database(project)  # the loop never touches it
    dev = Dev(project)
    try:
        dev.wait_for(r"^watching ", START_TIMEOUT)
        url = dev.wait_for(r"^API: ", 5).split("API: ", 1)[1].strip()
        token = dev.wait_for(r"^token ", 5).rsplit(" ", 1)[1]
        assert requests.get(f"{url}health", timeout=30).json() == {"status": "ok"}

        # 1. A handler edit: only that function's code, live on the next request.
        handler = project / "lambda_src" / "health" / "handler.py"
        mark = len(dev.lines)
        handler.write_text(
            handler.read_text().replace('{"status": "ok"}', '{"status": "edited"}'),
            encoding="utf-8",
        )
        poll(
            lambda: requests.get(f"{url}health", timeout=30).json() == {"status": "edited"},
            60,
            "the edited handler never answered",
        )
        line = dev.wait_for(r"handler\.py changed: health repackaged", 10, after=mark)
        assert "plan/apply" not in line

        # 2. A route added to a function.toml: Terraform's change, so plan and apply.
        manifest = project / "lambda_src" / "health" / "function.toml"
        mark = len(dev.lines)
        manifest.write_text(
            manifest.read_text() + '\n[[routes]]\nroute = "GET /healthz"\nauth = "none"\n',
            encoding="utf-8",
        )
        dev.wait_for(r"function\.toml changed: plan/apply of local", 300, after=mark)
        assert requests.get(f"{url}healthz", timeout=30).status_code == 200

        # 3. local switched to the Lambda REQUEST authorizer (its JWKS at the emulator).
        endpoint = emulator_status(find_project(project)).endpoint
        tfvars = project / "envs" / "local.tfvars"
        text = tfvars.read_text()
        text = text.replace('default_authorizer = "jwt"', 'default_authorizer = "lambda"')
        text = text.replace(
            "    ttl      = 300\n",
            f'    ttl      = 300\n    jwks_url = "{endpoint}/_deployer/oidc/jwks.json"\n',
        )
        mark = len(dev.lines)
        tfvars.write_text(text, encoding="utf-8")
        dev.wait_for(r"envs/local\.tfvars changed: plan/apply of local", 300, after=mark)
        authorized = requests.get(
            f"{url}items", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert authorized.status_code == 200, authorized.text
        assert requests.get(f"{url}items", timeout=30).status_code == 401
        garbage = requests.get(
            f"{url}items", headers={"Authorization": "Bearer not-a-jwt"}, timeout=30
        )
        assert garbage.status_code == 403
        server = emulator_status(find_project(project))
        app = find_project(project).settings.app
        ran = log_messages(server, f"{app}-local-authorizer")
        assert sum(m.startswith("REPORT RequestId:") for m in ran) >= 2

        # 4. Ctrl-C: watching stops, the emulator keeps running.
        dev.proc.send_signal(signal.SIGINT)
        assert dev.proc.wait(timeout=30) == 0
        dev.wait_for(r"stopped watching", 5)
        assert emulator_status(find_project(project)).running
        planned = run_deployer(project, "plan", "local", "--detailed-exitcode")
        assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr[-3000:]
    finally:
        if dev.proc.poll() is None:
            dev.proc.kill()
        stop_emulator(find_project(project))

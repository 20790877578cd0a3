"""The emulator's Amplify for tests: a site as a zip, a deployment as `publish` makes one,
and a request to a branch's site over TLS (tests/emulator/test_amplify_*.py)."""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
import zipfile
from pathlib import Path

import pytest
import requests

# The rule modules/amplify_app gives every WEB app (its locals.spa_rewrite).
SPA_RULE = {
    "source": "</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|woff2|ttf|map|json|webp)$)"
    "([^.]+$)/>",
    "target": "/index.html",
    "status": "200",
}
ENDED = {"SUCCEED", "FAILED", "CANCELLED"}
POLL_GUARD = 600  # polls before giving up on a job: a guard against a hang, not a timing


def site_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def wait_for_job(amplify, app_id: str, branch: str, job_id: str) -> tuple[dict, list[str]]:
    """Poll GetJob until the job ends: its last answer and every status seen on the way."""
    seen: list[str] = []
    for _ in range(POLL_GUARD):
        job = amplify.get_job(appId=app_id, branchName=branch, jobId=job_id)["job"]
        status = job["summary"]["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ENDED:
            return job, seen
        time.sleep(0.02)
    pytest.fail(f"job {job_id} never ended: {seen}")


def deploy(amplify, app_id: str, branch: str, files: dict[str, str]) -> str:
    """Publish `files` as `publish` does (create, PUT the zip, start, poll): the job id."""
    created = amplify.create_deployment(appId=app_id, branchName=branch)
    assert requests.put(created["zipUploadUrl"], data=site_zip(files), timeout=30).ok
    amplify.start_deployment(appId=app_id, branchName=branch, jobId=created["jobId"])
    job, _ = wait_for_job(amplify, app_id, branch, created["jobId"])
    assert job["summary"]["status"] == "SUCCEED", job
    return created["jobId"]


def fetch(server, ca: Path | None, host: str, path: str, headers: dict | None = None):
    """GET `path` over TLS from the running emulator `server`'s port, with `host` as SNI and
    Host header (this machine's resolver does not resolve *.localhost; browsers do it).

    Returns (status, headers with lower-case names, body)."""
    context = ssl.create_default_context(cafile=str(ca)) if ca else ssl.create_default_context()
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.sock = context.wrap_socket(raw, server_hostname=host.split(":")[0])
    try:
        connection.request("GET", path, headers={"Host": host, **(headers or {})})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()

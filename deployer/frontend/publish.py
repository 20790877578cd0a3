"""`deployer publish ENV`: the frontend's zip to the environment's Amplify branch, without a
Git provider (Amplify's manual deployments).

CreateDeployment gives a job and a presigned upload URL; the zip goes there with one HTTP
PUT; StartDeployment starts the job, and GetJob is polled until it ends. An app connected
to a repository builds itself from Git, so publishing to it is refused.

The last successful deployment is remembered in `.deployer/<env>/frontend.json` (the job,
the branch and the zip's SHA-256). When the zip is unchanged and that job is still the
branch's active one, nothing is uploaded. A fresh checkout (a CI runner) has no record and
publishes again, which changes nothing for the visitors.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import requests
from botocore.exceptions import BotoCoreError, ClientError

from deployer.aws import client
from deployer.common import DeployerError, atomic_write
from deployer.config import Project
from deployer.frontend.bundle import Bundle

RECORD_FILE = "frontend.json"
POLL_SECONDS = 2.0
JOB_TIMEOUT_SECONDS = 600.0
UPLOAD_TIMEOUT_SECONDS = 300.0
ENDED = {"SUCCEED", "FAILED", "CANCELLED"}


@dataclass(frozen=True)
class Target:
    """Where an environment's site goes, from the stack's outputs."""

    app_id: str
    branch: str
    url: str | None


@dataclass(frozen=True)
class Published:
    environment: str
    app_id: str
    branch: str
    url: str | None
    sha256: str
    job_id: str | None  # the job that serves this content
    uploaded: bool
    seconds: float

    def as_json(self) -> dict:
        return {
            "environment": self.environment,
            "app_id": self.app_id,
            "branch": self.branch,
            "url": self.url,
            "sha256": self.sha256,
            "job_id": self.job_id,
            "uploaded": self.uploaded,
            "seconds": round(self.seconds, 2),
        }


def target_from_outputs(outputs: Mapping[str, object], env_name: str) -> Target | None:
    """The app and branch the stack created, or None when the environment has no frontend."""
    app_id, branch = outputs.get("frontend_app_id"), outputs.get("frontend_branch")
    if not app_id or not branch:
        return None
    url = outputs.get("frontend_url")
    return Target(str(app_id), str(branch), str(url) if url else None)


def _record_path(project: Project, env_name: str) -> Path:
    return project.env_dir(env_name) / RECORD_FILE


def _read_record(project: Project, env_name: str) -> dict:
    try:
        data = json.loads(_record_path(project, env_name).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _amplify_error(exc: ClientError, env_name: str, target: Target) -> DeployerError:
    error = exc.response.get("Error", {})
    code, message = error.get("Code", ""), error.get("Message", "")
    if code == "NotFoundException":
        return DeployerError(
            f"Amplify has no app {target.app_id} with a branch {target.branch!r} ({message}); "
            f"the stack's outputs are stale or it was removed: run `deployer apply {env_name}`."
        )
    return DeployerError(f"Amplify refused the deployment to {env_name} ({code}: {message}).")


class Publisher:
    """One environment's Amplify branch and the calls that deploy to it."""

    def __init__(
        self,
        project: Project,
        env_name: str,
        environ: Mapping[str, str],
        target: Target,
        progress: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.project = project
        self.env_name = env_name
        self.target = target
        self.progress = progress
        self.amplify = client(dict(environ), "amplify")

    def publish(self, bundle: Bundle, *, force: bool = False) -> Published:
        started = time.monotonic()
        try:
            return self._publish(bundle, force, started)
        except ClientError as exc:
            raise _amplify_error(exc, self.env_name, self.target) from None
        except BotoCoreError as exc:
            raise DeployerError(f"Cannot reach Amplify for {self.env_name} ({exc}).") from None

    def _publish(self, bundle: Bundle, force: bool, started: float) -> Published:
        app_id, branch = self.target.app_id, self.target.branch
        app = self.amplify.get_app(appId=app_id)["app"]
        if app.get("repository"):
            raise DeployerError(
                f"The Amplify app of {self.env_name} is connected to {app['repository']}: "
                "Amplify builds and deploys it from Git itself. Push to the branch instead, "
                "or unset frontend.repository in the tfvars to publish with deployer."
            )
        active = self.amplify.get_branch(appId=app_id, branchName=branch)["branch"].get(
            "activeJobId"
        )
        record = _read_record(self.project, self.env_name)
        if (
            not force
            and record.get("sha256") == bundle.sha256
            and record.get("app_id") == app_id
            and record.get("branch") == branch
            and active
            and record.get("job_id") == active
        ):
            self.progress(f"unchanged since job {active}: nothing uploaded")
            return self._result(bundle, active, False, started)
        job_id = self._deploy(bundle)
        atomic_write(
            _record_path(self.project, self.env_name),
            json.dumps(
                {"app_id": app_id, "branch": branch, "job_id": job_id, "sha256": bundle.sha256},
                indent=2,
            )
            + "\n",
        )
        return self._result(bundle, job_id, True, started)

    def _deploy(self, bundle: Bundle) -> str:
        app_id, branch = self.target.app_id, self.target.branch
        created = self.amplify.create_deployment(appId=app_id, branchName=branch)
        job_id = created["jobId"]
        size = bundle.path.stat().st_size
        self.progress(f"job {job_id}: uploading {bundle.files} files ({size / 1024:.1f} KiB)")
        try:
            answer = requests.put(
                created["zipUploadUrl"],
                data=bundle.path.read_bytes(),
                headers={"Content-Type": "application/zip"},
                timeout=UPLOAD_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise DeployerError(
                f"Uploading the frontend of {self.env_name} failed ({exc}); run "
                f"`deployer publish {self.env_name}` again."
            ) from None
        if answer.status_code >= 300:
            raise DeployerError(
                f"Uploading the frontend of {self.env_name} failed (HTTP {answer.status_code}: "
                f"{answer.text[:200]}); run `deployer publish {self.env_name}` again."
            )
        self.amplify.start_deployment(appId=app_id, branchName=branch, jobId=job_id)
        self._wait(job_id)
        return job_id

    def _wait(self, job_id: str) -> None:
        app_id, branch = self.target.app_id, self.target.branch
        deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
        seen = ""
        while True:
            job = self.amplify.get_job(appId=app_id, branchName=branch, jobId=job_id)["job"]
            status = job["summary"]["status"]
            if status != seen:
                self.progress(f"job {job_id}: {status}")
                seen = status
            if status == "SUCCEED":
                return
            if status in ENDED:
                reasons = [s.get("statusReason") for s in job.get("steps", [])]
                why = "; ".join(r for r in reasons if r) or "no reason given"
                raise DeployerError(
                    f"Amplify's deployment job {job_id} of {self.env_name} ended {status} "
                    f"({why}); fix the site and run `deployer publish {self.env_name}` again."
                )
            if time.monotonic() > deadline:
                raise DeployerError(
                    f"Amplify's deployment job {job_id} of {self.env_name} is still {status} "
                    f"after {JOB_TIMEOUT_SECONDS:.0f} s; see it in the Amplify console, then "
                    f"run `deployer publish {self.env_name}` again."
                )
            time.sleep(POLL_SECONDS)

    def _result(self, bundle: Bundle, job_id: str | None, uploaded: bool, started: float):
        return Published(
            environment=self.env_name,
            app_id=self.target.app_id,
            branch=self.target.branch,
            url=self.target.url,
            sha256=bundle.sha256,
            job_id=job_id,
            uploaded=uploaded,
            seconds=time.monotonic() - started,
        )

"""Amplify's state in the emulator: apps, branches, jobs and tags, as AWS keeps them.

Like moto's own backends it lives in the server process's memory and goes with it; only
the sites (the files of each branch's last successful deployment) are on disk, under
`<state dir>/amplify/sites/` (see `deployments.py`). Every change takes the one lock: the
API, the deployment jobs and the site server read and write from different threads.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID

_ID_ALPHABET = string.ascii_lowercase + string.digits


class AmplifyError(Exception):
    """An error Amplify answers with: its code (the exception's name) and HTTP status."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


def not_found(message: str) -> AmplifyError:
    return AmplifyError("NotFoundException", 404, message)


def bad_request(message: str) -> AmplifyError:
    return AmplifyError("BadRequestException", 400, message)


@dataclass
class Job:
    """One deployment job of a branch (jobType MANUAL: deployed without a Git provider)."""

    job_id: str
    arn: str
    status: str = "CREATED"
    start_time: float = field(default_factory=time.time)
    end_time: float | None = None
    reason: str = ""
    source_url: str = ""
    source_url_type: str = ""
    uploads: dict[str, str] = field(default_factory=dict)  # upload token -> file in the site

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "jobArn": self.arn,
            "jobId": self.job_id,
            "commitId": "HEAD",
            "commitMessage": "",
            "commitTime": self.start_time,
            "startTime": self.start_time,
            "status": self.status,
            "jobType": "MANUAL",
        }
        if self.end_time is not None:
            out["endTime"] = self.end_time
        if self.source_url:
            out["sourceUrl"] = self.source_url
            out["sourceUrlType"] = self.source_url_type or "ZIP"
        return out

    def steps(self) -> list[dict[str, Any]]:
        step: dict[str, Any] = {
            "stepName": "DEPLOY",
            "startTime": self.start_time,
            "status": self.status if self.status != "CREATED" else "PENDING",
            "endTime": self.end_time if self.end_time is not None else self.start_time,
        }
        if self.reason:
            step["statusReason"] = self.reason
        return [step]


@dataclass
class Branch:
    app_id: str
    name: str
    arn: str
    attrs: dict[str, Any]
    tags: dict[str, str]
    create_time: float
    update_time: float
    jobs: dict[str, Job] = field(default_factory=dict)
    next_job: int = 1
    active_job_id: str = ""
    site: Path | None = None  # the folder of the last successful deployment

    def describe(self) -> dict[str, Any]:
        out = dict(self.attrs)
        out.update(
            branchArn=self.arn,
            branchName=self.name,
            tags=dict(self.tags),
            createTime=self.create_time,
            updateTime=self.update_time,
            activeJobId=self.active_job_id,
            totalNumberOfJobs=str(len(self.jobs)),
        )
        return out


@dataclass
class App:
    app_id: str
    arn: str
    region: str
    attrs: dict[str, Any]
    tags: dict[str, str]
    create_time: float
    update_time: float
    branches: dict[str, Branch] = field(default_factory=dict)

    def describe(self, default_domain: str) -> dict[str, Any]:
        out = dict(self.attrs)
        out.update(
            appId=self.app_id,
            appArn=self.arn,
            tags=dict(self.tags),
            createTime=self.create_time,
            updateTime=self.update_time,
            defaultDomain=default_domain,
        )
        return out


class Backend:
    """Every Amplify app of the emulator, across regions (an app id is unique anyway)."""

    def __init__(self, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self.account_id = account_id
        self.lock = threading.RLock()
        self.apps: dict[str, App] = {}

    def new_app_id(self) -> str:
        while True:
            app_id = "d" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(13))
            if app_id not in self.apps:
                return app_id

    def app_arn(self, region: str, app_id: str) -> str:
        return f"arn:aws:amplify:{region}:{self.account_id}:apps/{app_id}"

    def app(self, app_id: str) -> App:
        app = self.apps.get(app_id)
        if app is None:
            raise not_found(f"App {app_id} not found.")
        return app

    def branch(self, app_id: str, name: str) -> Branch:
        app = self.app(app_id)
        branch = app.branches.get(name)
        if branch is None:
            raise not_found(f"Branch {name} not found.")
        return branch

    def job(self, app_id: str, branch_name: str, job_id: str) -> Job:
        job = self.branch(app_id, branch_name).jobs.get(job_id)
        if job is None:
            raise not_found(f"Job {job_id} not found.")
        return job

    def tagged(self, arn: str) -> App | Branch:
        """The app or branch an ARN names (tags are kept on the resource itself)."""
        for app in self.apps.values():
            if app.arn == arn:
                return app
            for branch in app.branches.values():
                if branch.arn == arn:
                    return branch
        raise AmplifyError("ResourceNotFoundException", 404, f"Resource {arn} not found.")

    def site_of_host(self, app_id: str, label: str) -> tuple[App, Branch] | None:
        """The app and branch that `<label>.<app id>.amplifyapp...` names, if any."""
        with self.lock:
            app = self.apps.get(app_id)
            if app is None:
                return None
            label = label.lower()  # host names are not case-sensitive; branch names are
            for branch in app.branches.values():
                names = (branch.name.replace("/", "-"), str(branch.attrs.get("displayName")))
                if label in (n.lower() for n in names):
                    return app, branch
        return None

"""Deployments without a Git provider: CreateDeployment's upload URLs, the uploads, and the
job StartDeployment runs, which makes the uploaded files the branch's site.

    PUT http://127.0.0.1:<port>/_aws/amplify/uploads/<token>     the zip (or one file)

The upload URL is the emulator's own, on loopback, unsigned like a presigned S3 URL: the
client PUTs the bytes with any HTTP library. A job then goes PENDING -> RUNNING -> SUCCEED
(or FAILED, with the reason in its step's `statusReason`) in a worker thread, so a client
polling GetJob sees it move. A site is unpacked next to the branch's current one and
becomes the served one in a single step, so a request never sees half a deployment; the
one before it is removed.

Files: `<state dir>/amplify/uploads/<token>` (until the job ran) and
`<state dir>/amplify/sites/<app id>/<branch>/<job id>/`.
"""

from __future__ import annotations

import io
import secrets
import shutil
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from deployer.emulator.amplify.backend import App, Backend, Branch, Job, bad_request

UPLOAD_PREFIX = "/_aws/amplify/uploads/"
MAX_UPLOAD = 5 * 1024 * 1024 * 1024  # Amplify's limit for a manual deployment's zip
# A pause between a job's states, so that a client polling GetJob can see each one.
STATE_PAUSE_SECONDS = 0.2


class DeploymentFailed(Exception):
    """Why a job failed: the reason its step reports."""


class Deployments:
    """Upload URLs, uploads and the jobs that deploy them, for every branch."""

    def __init__(self, backend: Backend, folder: Path, endpoint: Callable[[], str]) -> None:
        self.backend = backend
        self.uploads_dir = folder / "uploads"
        self.sites_dir = folder / "sites"
        self.endpoint = endpoint
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="amplify-job")
        self._tokens: dict[str, tuple[str, str, str]] = {}  # token -> app, branch, job

    # --- the API's side ------------------------------------------------------------------------

    def create(self, app: App, branch: Branch, file_map: dict[str, str] | None) -> dict[str, Any]:
        """CreateDeployment: a new job and where to upload its files."""
        if app.attrs.get("repository"):
            raise bad_request("Operation not supported. App is already connected a repository.")
        with self.backend.lock:
            job = _new_job(branch)
            urls = {}
            for name in sorted(file_map or {}):
                clean = _clean(name)
                if clean is None:
                    raise bad_request(f"fileMap has an invalid file name: {name!r}.")
                urls[name] = self._upload_url(app, branch, job, clean)
            answer: dict[str, Any] = {"jobId": job.job_id, "fileUploadUrls": urls}
            if not file_map:
                answer["zipUploadUrl"] = self._upload_url(app, branch, job, "")
            return answer

    def start(
        self, app: App, branch: Branch, job_id: str | None, source_url: str, source_type: str
    ) -> Job:
        """StartDeployment: the job of a CreateDeployment, or a new one for `sourceUrl`."""
        with self.backend.lock:
            if job_id:
                job = branch.jobs.get(job_id)
                if job is None:
                    raise bad_request(f"Job {job_id} does not exist for branch {branch.name}.")
                if job.status != "CREATED":
                    raise bad_request(f"Job {job_id} was already started ({job.status}).")
            elif source_url:
                if app.attrs.get("repository"):
                    raise bad_request(
                        "Operation not supported. App is already connected a repository."
                    )
                job = _new_job(branch)
            else:
                raise bad_request("Either jobId or sourceUrl must be provided.")
            if source_url:
                job.source_url, job.source_url_type = source_url, source_type or "ZIP"
            job.status = "PENDING"
            job.start_time = time.time()
        self._worker.submit(self._run, app, branch, job)
        return job

    def stop(self, job: Job) -> Job:
        """StopJob: a job that has not finished is cancelled (nothing it did is served)."""
        with self.backend.lock:
            if job.status in ("CREATED", "PENDING", "RUNNING"):
                job.status, job.end_time = "CANCELLED", time.time()
                job.reason = "Stopped by StopJob."
        return job

    def remove_branch(self, branch: Branch) -> None:
        shutil.rmtree(self._branch_dir(branch.app_id, branch.name), ignore_errors=True)
        owner = (branch.app_id, branch.name)
        for token in [
            t for t, (app_id, name, _) in self._tokens.items() if (app_id, name) == owner
        ]:
            self._forget(token)

    def remove_app(self, app: App) -> None:
        for branch in list(app.branches.values()):
            self.remove_branch(branch)
        shutil.rmtree(self.sites_dir / app.app_id, ignore_errors=True)

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)

    # --- the upload URL ------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """The WSGI application behind `UPLOAD_PREFIX`: PUT stores the upload."""
        token = environ.get("PATH_INFO", "")[len(UPLOAD_PREFIX) :]
        method = environ.get("REQUEST_METHOD", "GET").upper()
        status, message = self._receive(token, method, environ)
        body = message.encode()
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    def _receive(self, token: str, method: str, environ: dict[str, Any]) -> tuple[str, str]:
        if method != "PUT":
            return "405 Method Not Allowed", "upload with PUT\n"
        with self.backend.lock:
            known = self._tokens.get(token)
            job = None
            if known is not None:
                app_id, branch_name, job_id = known
                app = self.backend.apps.get(app_id)
                branch = app.branches.get(branch_name) if app else None
                job = branch.jobs.get(job_id) if branch else None
            if job is None or job.status != "CREATED":
                return "403 Forbidden", "this upload URL is unknown or its job was started\n"
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = -1
        if size < 0 or size > MAX_UPLOAD:
            return "400 Bad Request", "a Content-Length up to 5 GB is required\n"
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        part = self.uploads_dir / f"{token}.part"
        stream = environ["wsgi.input"]
        with part.open("wb") as out:
            left = size
            while left:
                chunk = stream.read(min(left, 1 << 20))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
        part.replace(self.uploads_dir / token)
        return "200 OK", ""

    def _upload_url(self, app: App, branch: Branch, job: Job, name: str) -> str:
        token = secrets.token_urlsafe(24)
        self._tokens[token] = (app.app_id, branch.name, job.job_id)
        job.uploads[token] = name
        return f"{self.endpoint()}{UPLOAD_PREFIX}{token}"

    def _forget(self, token: str) -> None:
        self._tokens.pop(token, None)
        (self.uploads_dir / token).unlink(missing_ok=True)

    # --- the job -------------------------------------------------------------------------------

    def _run(self, app: App, branch: Branch, job: Job) -> None:
        time.sleep(STATE_PAUSE_SECONDS)
        if not self._advance(job, "PENDING", "RUNNING"):
            return
        staging = self._branch_dir(app.app_id, branch.name) / f".{job.job_id}.new"
        try:
            time.sleep(STATE_PAUSE_SECONDS)
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            self._unpack(job, staging)
        except DeploymentFailed as exc:
            shutil.rmtree(staging, ignore_errors=True)
            self._finish(job, "FAILED", str(exc))
            return
        except Exception as exc:  # the job fails, the emulator goes on
            shutil.rmtree(staging, ignore_errors=True)
            self._finish(job, "FAILED", f"The deployment failed: {type(exc).__name__}: {exc}")
            return
        finally:
            for token in list(job.uploads):
                self._forget(token)
        final = staging.with_name(job.job_id)
        with self.backend.lock:
            current = self.backend.apps.get(app.app_id)
            if current is None or current.branches.get(branch.name) is not branch:
                shutil.rmtree(staging, ignore_errors=True)
                return  # deleted while the job ran
            if job.status != "RUNNING":  # stopped meanwhile
                shutil.rmtree(staging, ignore_errors=True)
                return
            shutil.rmtree(final, ignore_errors=True)
            staging.rename(final)
            previous, branch.site = branch.site, final
            branch.active_job_id = job.job_id
            branch.update_time = time.time()
            job.status, job.end_time = "SUCCEED", time.time()
        if previous is not None and previous != final:
            shutil.rmtree(previous, ignore_errors=True)

    def _advance(self, job: Job, expected: str, status: str) -> bool:
        with self.backend.lock:
            if job.status != expected:
                return False
            job.status = status
            return True

    def _finish(self, job: Job, status: str, reason: str) -> None:
        with self.backend.lock:
            if job.status == "RUNNING":
                job.status, job.end_time, job.reason = status, time.time(), reason

    def _unpack(self, job: Job, folder: Path) -> None:
        if job.source_url:
            self._unpack_source(job, folder)
            return
        named = {token: name for token, name in job.uploads.items() if name}
        if not named:
            zip_tokens = [t for t, name in job.uploads.items() if not name]
            path = self.uploads_dir / zip_tokens[0] if zip_tokens else None
            if path is None or not path.is_file():
                raise DeploymentFailed(
                    f"Nothing was uploaded to the zipUploadUrl of job {job.job_id} before "
                    "StartDeployment: upload the zip, then start the deployment."
                )
            _extract(path.read_bytes(), folder)
            return
        for token, name in sorted(named.items(), key=lambda item: item[1]):
            path = self.uploads_dir / token
            if not path.is_file():
                raise DeploymentFailed(f"The file {name} of job {job.job_id} was not uploaded.")
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)

    def _unpack_source(self, job: Job, folder: Path) -> None:
        url, kind = job.source_url, job.source_url_type or "ZIP"
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme == "s3":
            from moto.s3.models import s3_backends

            bucket = s3_backends[self.backend.account_id]["global"].buckets.get(parsed.netloc)
            if bucket is None:
                raise DeploymentFailed(f"The bucket of sourceUrl {url} does not exist.")
            key = parsed.path.lstrip("/")
            if kind == "BUCKET_PREFIX":
                prefix = key.rstrip("/") + "/" if key else ""
                for name, obj in list(bucket.keys.items()):
                    rest = _clean(name[len(prefix) :]) if name.startswith(prefix) else None
                    if rest:
                        (folder / rest).parent.mkdir(parents=True, exist_ok=True)
                        (folder / rest).write_bytes(obj.value)
                return
            obj = bucket.keys.get(key)
            if obj is None:
                raise DeploymentFailed(f"The object of sourceUrl {url} does not exist.")
            _extract(obj.value, folder)
            return
        if parsed.scheme in ("http", "https") and kind == "ZIP":
            try:
                with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310
                    _extract(answer.read(), folder)
            except OSError as exc:
                raise DeploymentFailed(f"The sourceUrl {url} could not be read: {exc}.") from exc
            return
        raise DeploymentFailed(f"The sourceUrl {url} ({kind}) is not an S3 or HTTP(S) URL.")

    def _branch_dir(self, app_id: str, branch_name: str) -> Path:
        return self.sites_dir / app_id / urllib.parse.quote(branch_name, safe="")


def _new_job(branch: Branch) -> Job:
    job_id = str(branch.next_job)
    branch.next_job += 1
    job = Job(job_id=job_id, arn=f"{branch.arn}/jobs/{job_id}")
    branch.jobs[job_id] = job
    return job


def _clean(name: str) -> str | None:
    """A relative file path inside the site, or None for one that would leave it."""
    path = PurePosixPath(name.replace("\\", "/").lstrip("/"))
    if not path.parts or any(part in ("..", "") for part in path.parts):
        return None
    return str(path)


def _extract(data: bytes, folder: Path) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DeploymentFailed("The uploaded file is not a valid zip archive.") from exc
    with archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
        if not entries:
            raise DeploymentFailed("The uploaded zip archive holds no files.")
        for info in entries:
            name = _clean(info.filename)
            if name is None:
                raise DeploymentFailed(f"The zip archive has an unsafe path: {info.filename}.")
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                target.write_bytes(archive.read(info))
            except (zipfile.BadZipFile, ValueError, OSError) as exc:
                raise DeploymentFailed(f"The zip archive is damaged ({info.filename}).") from exc

"""Amplify's REST-JSON API (SigV4 service `amplify`), answered from `backend.Backend`.

Operations are found by method and path in botocore's own model of the API, so every
Amplify operation has its name here: the ones below are answered, any other raises
`NotImplementedError` naming it, which `deployer/emulator/app.py` turns into a 501 that
SDKs do not retry (domain associations, webhooks, backend environments, Git-built jobs).
Errors are Amplify's: the exception name in `x-amzn-ErrorType`, `{"message": ...}`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session

from deployer.emulator.amplify.backend import AmplifyError, App, Backend, Branch, bad_request
from deployer.emulator.amplify.deployments import Deployments

PLATFORMS = {"WEB", "WEB_DYNAMIC", "WEB_COMPUTE"}
STAGES = {"PRODUCTION", "BETA", "DEVELOPMENT", "EXPERIMENTAL", "PULL_REQUEST"}
_BRANCH_NAME = re.compile(r"^[0-9A-Za-z/_.-]{1,255}$")
_SECRETS = {"accessToken", "oauthToken"}  # accepted, never answered
_APP_FIELDS = {
    "name", "description", "repository", "platform", "iamServiceRoleArn", "computeRoleArn",
    "environmentVariables", "enableBranchAutoBuild", "enableBranchAutoDeletion",
    "enableBasicAuth", "basicAuthCredentials", "customRules", "buildSpec", "customHeaders",
    "enableAutoBranchCreation", "autoBranchCreationPatterns", "autoBranchCreationConfig",
    "cacheConfig", "jobConfig",
}  # fmt: skip
_BRANCH_FIELDS = {
    "description", "stage", "framework", "enableNotification", "enableAutoBuild",
    "enableSkewProtection", "environmentVariables", "basicAuthCredentials", "enableBasicAuth",
    "enablePerformanceMode", "buildSpec", "ttl", "displayName", "enablePullRequestPreview",
    "pullRequestEnvironmentName", "backendEnvironmentArn", "backend", "computeRoleArn",
}  # fmt: skip


def _operations() -> list[tuple[str, re.Pattern, str]]:
    """(method, path pattern, operation name) of every Amplify operation, from botocore."""
    model = botocore.session.get_session().get_service_model("amplify")
    table = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].split("?")[0]
        pattern = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(path))
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
        table.append((http["method"], re.compile(pattern), name))
    # The most specific first: /apps/{appId}/branches before /apps/{appId}.
    return sorted(table, key=lambda row: -len(row[1].pattern))


class AmplifyApi:
    """The WSGI application for requests signed for the `amplify` service."""

    def __init__(
        self, backend: Backend, deployments: Deployments, domain: Callable[[str], str]
    ) -> None:
        self.backend = backend
        self.deployments = deployments
        self.domain = domain  # app id -> its defaultDomain
        self.operations = _operations()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
        raw_path, _, query = raw.partition("?")
        name, params = self._find(method, raw_path)
        # The 501 message names the operation (a path no operation has: by its path).
        environ["deployer.action"] = name or f"{method} {raw_path}"
        handler = getattr(self, f"op_{name}", None) if name else None
        if handler is None:
            raise NotImplementedError(
                "the emulator's Amplify has apps, branches, deployments without Git, jobs and "
                "tags only"
            )
        try:
            body = _body(environ)
            with self.backend.lock:
                answer = handler(_region(environ), params, parse_qs(query), body)
            status, payload, headers = "200 OK", answer, []
        except AmplifyError as exc:
            status = f"{exc.status} {_REASONS.get(exc.status, 'Error')}"
            payload = {"message": exc.message, "code": exc.code}
            headers = [("x-amzn-ErrorType", exc.code)]
        data = json.dumps(payload).encode()
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        start_response(status, headers)
        return [data]

    def _find(self, method: str, raw_path: str) -> tuple[str, dict[str, str]]:
        for op_method, pattern, name in self.operations:
            found = pattern.fullmatch(raw_path)
            if found and op_method == method:
                return name, {k: unquote(v) for k, v in found.groupdict().items()}
        return "", {}

    # --- apps ----------------------------------------------------------------------------------

    def op_CreateApp(self, region: str, params: dict, query: dict, body: dict) -> dict:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            raise bad_request("name must be 1-255 characters long.")
        app_id = self.backend.new_app_id()
        now = time.time()
        attrs: dict[str, Any] = {
            "description": "", "repository": "", "platform": "WEB", "environmentVariables": {},
            "enableBranchAutoBuild": False, "enableBranchAutoDeletion": False,
            "enableBasicAuth": False, "enableAutoBranchCreation": False, "customRules": [],
        }  # fmt: skip
        attrs.update(_app_fields(body))
        app = App(
            app_id=app_id,
            arn=self.backend.app_arn(region, app_id),
            region=region,
            attrs=attrs,
            tags=_tags(body.get("tags")),
            create_time=now,
            update_time=now,
        )
        self.backend.apps[app_id] = app
        return {"app": app.describe(self.domain(app_id))}

    def op_GetApp(self, region: str, params: dict, query: dict, body: dict) -> dict:
        app = self.backend.app(params["appId"])
        return {"app": app.describe(self.domain(app.app_id))}

    def op_ListApps(self, region: str, params: dict, query: dict, body: dict) -> dict:
        apps = [a for a in self.backend.apps.values() if a.region == region]
        page, token = _page(sorted(apps, key=lambda a: a.create_time), query)
        answer: dict[str, Any] = {"apps": [a.describe(self.domain(a.app_id)) for a in page]}
        if token:
            answer["nextToken"] = token
        return answer

    def op_UpdateApp(self, region: str, params: dict, query: dict, body: dict) -> dict:
        app = self.backend.app(params["appId"])
        if "name" in body and not (isinstance(body["name"], str) and body["name"]):
            raise bad_request("name must be 1-255 characters long.")
        app.attrs.update(_app_fields(body))
        app.update_time = time.time()
        return {"app": app.describe(self.domain(app.app_id))}

    def op_DeleteApp(self, region: str, params: dict, query: dict, body: dict) -> dict:
        app = self.backend.app(params["appId"])
        del self.backend.apps[app.app_id]
        self.deployments.remove_app(app)
        return {"app": app.describe(self.domain(app.app_id))}

    # --- branches ------------------------------------------------------------------------------

    def op_CreateBranch(self, region: str, params: dict, query: dict, body: dict) -> dict:
        app = self.backend.app(params["appId"])
        name = body.get("branchName")
        if not isinstance(name, str) or not _BRANCH_NAME.match(name):
            raise bad_request("branchName must be 1-255 letters, digits and the characters / _ . -")
        if name in app.branches:
            raise bad_request(f"Branch {name} already exists.")
        now = time.time()
        attrs: dict[str, Any] = {
            "description": "", "stage": "NONE", "displayName": name.replace("/", "-").lower(),
            "enableNotification": False, "environmentVariables": {}, "enableAutoBuild": True,
            "enableSkewProtection": False, "customDomains": [], "framework": "",
            "enableBasicAuth": False, "enablePerformanceMode": False, "ttl": "5",
            "associatedResources": [], "enablePullRequestPreview": False,
            "pullRequestEnvironmentName": "",
        }  # fmt: skip
        attrs.update(_branch_fields(body))
        branch = Branch(
            app_id=app.app_id,
            name=name,
            arn=f"{app.arn}/branches/{name}",
            attrs=attrs,
            tags=_tags(body.get("tags")),
            create_time=now,
            update_time=now,
        )
        app.branches[name] = branch
        return {"branch": branch.describe()}

    def op_GetBranch(self, region: str, params: dict, query: dict, body: dict) -> dict:
        return {"branch": self.backend.branch(params["appId"], params["branchName"]).describe()}

    def op_ListBranches(self, region: str, params: dict, query: dict, body: dict) -> dict:
        app = self.backend.app(params["appId"])
        branches = sorted(app.branches.values(), key=lambda b: b.create_time)
        page, token = _page(branches, query)
        answer: dict[str, Any] = {"branches": [b.describe() for b in page]}
        if token:
            answer["nextToken"] = token
        return answer

    def op_UpdateBranch(self, region: str, params: dict, query: dict, body: dict) -> dict:
        branch = self.backend.branch(params["appId"], params["branchName"])
        branch.attrs.update(_branch_fields(body))
        branch.update_time = time.time()
        return {"branch": branch.describe()}

    def op_DeleteBranch(self, region: str, params: dict, query: dict, body: dict) -> dict:
        branch = self.backend.branch(params["appId"], params["branchName"])
        del self.backend.apps[branch.app_id].branches[branch.name]
        self.deployments.remove_branch(branch)
        return {"branch": branch.describe()}

    # --- deployments and jobs ------------------------------------------------------------------

    def op_CreateDeployment(self, region: str, params: dict, query: dict, body: dict) -> dict:
        app = self.backend.app(params["appId"])
        branch = self.backend.branch(app.app_id, params["branchName"])
        file_map = body.get("fileMap")
        if file_map is not None and not isinstance(file_map, dict):
            raise bad_request("fileMap must map file names to their MD5 hashes.")
        return self.deployments.create(app, branch, file_map)

    def op_StartDeployment(self, region: str, params: dict, query: dict, body: dict) -> dict:
        app = self.backend.app(params["appId"])
        branch = self.backend.branch(app.app_id, params["branchName"])
        job = self.deployments.start(
            app,
            branch,
            body.get("jobId"),
            str(body.get("sourceUrl") or ""),
            str(body.get("sourceUrlType") or ""),
        )
        return {"jobSummary": job.summary()}

    def op_GetJob(self, region: str, params: dict, query: dict, body: dict) -> dict:
        job = self.backend.job(params["appId"], params["branchName"], params["jobId"])
        return {"job": {"summary": job.summary(), "steps": job.steps()}}

    def op_ListJobs(self, region: str, params: dict, query: dict, body: dict) -> dict:
        branch = self.backend.branch(params["appId"], params["branchName"])
        newest_first = sorted(branch.jobs.values(), key=lambda j: -int(j.job_id))
        page, token = _page(newest_first, query)
        answer: dict[str, Any] = {"jobSummaries": [j.summary() for j in page]}
        if token:
            answer["nextToken"] = token
        return answer

    def op_StopJob(self, region: str, params: dict, query: dict, body: dict) -> dict:
        job = self.backend.job(params["appId"], params["branchName"], params["jobId"])
        return {"jobSummary": self.deployments.stop(job).summary()}

    # --- tags ----------------------------------------------------------------------------------

    def op_TagResource(self, region: str, params: dict, query: dict, body: dict) -> dict:
        resource = self.backend.tagged(params["resourceArn"])
        resource.tags.update(_tags(body.get("tags")))
        return {}

    def op_UntagResource(self, region: str, params: dict, query: dict, body: dict) -> dict:
        resource = self.backend.tagged(params["resourceArn"])
        for key in query.get("tagKeys", []):
            resource.tags.pop(key, None)
        return {}

    def op_ListTagsForResource(self, region: str, params: dict, query: dict, body: dict) -> dict:
        return {"tags": dict(self.backend.tagged(params["resourceArn"]).tags)}


_REASONS = {400: "Bad Request", 404: "Not Found"}


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    raw = environ["wsgi.input"].read(size) if size else b""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"The request body is not JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def _region(environ: dict[str, Any]) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        return auth.split("Credential=")[1].split(",")[0].split("/")[2]
    except IndexError:
        return "us-east-1"


def _tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("tags must map keys to values.")
    return {str(k): str(v) for k, v in value.items()}


def _variables(value: Any) -> dict[str, str]:
    """Environment variables; `{"": ""}` is how a client clears them (the provider does)."""
    if not isinstance(value, dict):
        raise bad_request("environmentVariables must map names to values.")
    return {str(k): str(v) for k, v in value.items() if k != ""}


def _app_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in body.items() if k in _APP_FIELDS}
    if "platform" in fields and fields["platform"] not in PLATFORMS:
        raise bad_request(f"platform must be one of {', '.join(sorted(PLATFORMS))}.")
    if "environmentVariables" in fields:
        fields["environmentVariables"] = _variables(fields["environmentVariables"])
    if "customRules" in fields:
        rules = fields["customRules"]
        if not isinstance(rules, list) or not all(
            isinstance(r, dict) and r.get("source") and r.get("target") for r in rules
        ):
            raise bad_request("Every custom rule needs a source and a target.")
        fields["customRules"] = [
            {k: str(v) for k, v in r.items() if k in ("source", "target", "status", "condition")}
            for r in rules
        ]
    for key in _SECRETS:
        fields.pop(key, None)
    return fields


def _branch_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in body.items() if k in _BRANCH_FIELDS}
    if "stage" in fields and fields["stage"] not in STAGES:
        raise bad_request(f"stage must be one of {', '.join(sorted(STAGES))}.")
    if "environmentVariables" in fields:
        fields["environmentVariables"] = _variables(fields["environmentVariables"])
    if not fields.get("displayName", True):
        fields.pop("displayName")
    return fields


def _page(items: list, query: dict[str, list[str]]) -> tuple[list, str]:
    """One page of `items` (maxResults, nextToken: the offset of the next page)."""
    try:
        start = int((query.get("nextToken") or ["0"])[0])
        size = int((query.get("maxResults") or ["100"])[0])
    except ValueError:
        raise bad_request("nextToken or maxResults is not valid.") from None
    size = max(1, min(size, 100))
    page = items[start : start + size]
    return page, str(start + size) if start + size < len(items) else ""

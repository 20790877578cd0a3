"""Amplify's API in the emulator, through boto3: apps, branches, tags, deployments, errors."""

from __future__ import annotations

import re

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from helpers.amplify_sites import SPA_RULE, site_zip, wait_for_job
from helpers.emulator import aws


@pytest.fixture
def amplify(server):
    return aws(server, "amplify")


def error_of(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], str(caught.value)


def test_app_crud_as_aws_answers(server, amplify):
    created = amplify.create_app(
        name="crud-app",
        description="the shop",
        platform="WEB",
        environmentVariables={"API_URL": "http://api", "MODE": "local"},
        customRules=[SPA_RULE],
        tags={"env": "local"},
        enableBasicAuth=False,
    )["app"]
    app_id = created["appId"]
    assert re.fullmatch(r"d[a-z0-9]{13}", app_id)
    assert created["appArn"] == f"arn:aws:amplify:eu-west-1:123456789012:apps/{app_id}"
    assert created["defaultDomain"] == f"{app_id}.amplifyapp.localhost:{server.port}"

    app = amplify.get_app(appId=app_id)["app"]
    assert app["name"] == "crud-app"
    assert app["description"] == "the shop"
    assert app["platform"] == "WEB"
    assert app["environmentVariables"] == {"API_URL": "http://api", "MODE": "local"}
    assert app["customRules"] == [SPA_RULE]
    assert app["tags"] == {"env": "local"}
    assert app["repository"] == ""
    assert app["enableBasicAuth"] is False
    assert app["createTime"] <= app["updateTime"]
    assert app_id in [a["appId"] for a in amplify.list_apps()["apps"]]

    # Only what an update names changes; {"": ""} is how the provider clears the variables.
    amplify.update_app(appId=app_id, environmentVariables={"": ""}, customRules=[])
    updated = amplify.get_app(appId=app_id)["app"]
    assert updated["environmentVariables"] == {}
    assert updated["customRules"] == []
    assert updated["description"] == "the shop"

    deleted = amplify.delete_app(appId=app_id)["app"]
    assert deleted["appId"] == app_id
    code, status, _ = error_of(lambda: amplify.get_app(appId=app_id))
    assert (code, status) == ("NotFoundException", 404)
    assert error_of(lambda: amplify.delete_app(appId=app_id))[:2] == ("NotFoundException", 404)


def test_apps_are_listed_by_region_and_page(server, amplify):
    ids = [amplify.create_app(name=f"page-{i}")["app"]["appId"] for i in range(3)]
    listed, token = [], None
    while True:
        kwargs = {"maxResults": 2, **({"nextToken": token} if token else {})}
        page = amplify.list_apps(**kwargs)
        listed += [a["appId"] for a in page["apps"]]
        token = page.get("nextToken")
        if not token:
            break
    assert set(ids) <= set(listed)
    elsewhere = aws_region(server, "us-east-2").list_apps()["apps"]
    assert not set(ids) & {a["appId"] for a in elsewhere}


def aws_region(server, region: str):
    """An Amplify client of another region than `aws()`'s."""
    return boto3.client(
        "amplify",
        endpoint_url=server.endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_branch_crud_and_defaults(amplify):
    app_id = amplify.create_app(name="branches")["app"]["appId"]
    created = amplify.create_branch(
        appId=app_id,
        branchName="feature/Login",
        stage="DEVELOPMENT",
        framework="React",
        environmentVariables={"FLAG": "1"},
        enableBasicAuth=True,
        basicAuthCredentials="dXNlcjpwYXNz",
        tags={"team": "web"},
    )["branch"]
    assert created["branchArn"].endswith(f"apps/{app_id}/branches/feature/Login")
    assert created["displayName"] == "feature-login"
    assert created["activeJobId"] == ""
    assert created["totalNumberOfJobs"] == "0"

    branch = amplify.get_branch(appId=app_id, branchName="feature/Login")["branch"]
    assert branch["stage"] == "DEVELOPMENT"
    assert branch["framework"] == "React"
    assert branch["environmentVariables"] == {"FLAG": "1"}
    assert branch["enableBasicAuth"] is True
    assert branch["basicAuthCredentials"] == "dXNlcjpwYXNz"
    assert branch["tags"] == {"team": "web"}
    assert branch["enableAutoBuild"] is True
    assert branch["ttl"] == "5"

    plain = amplify.create_branch(appId=app_id, branchName="main")["branch"]
    assert plain["stage"] == "NONE"
    listed = amplify.list_branches(appId=app_id)["branches"]
    assert [b["branchName"] for b in listed] == ["feature/Login", "main"]

    amplify.update_branch(appId=app_id, branchName="main", stage="PRODUCTION", description="live")
    main = amplify.get_branch(appId=app_id, branchName="main")["branch"]
    assert (main["stage"], main["description"]) == ("PRODUCTION", "live")

    amplify.delete_branch(appId=app_id, branchName="feature/Login")
    code, status, _ = error_of(lambda: amplify.get_branch(appId=app_id, branchName="feature/Login"))
    assert (code, status) == ("NotFoundException", 404)


def test_bad_requests_are_amplifys_400s(amplify):
    app_id = amplify.create_app(name="bad")["app"]["appId"]
    amplify.create_branch(appId=app_id, branchName="main")
    again = error_of(lambda: amplify.create_branch(appId=app_id, branchName="main"))
    assert again[:2] == ("BadRequestException", 400)
    stage = error_of(lambda: amplify.create_branch(appId=app_id, branchName="x", stage="LIVE"))
    assert stage[:2] == ("BadRequestException", 400)
    assert "stage must be one of" in stage[2]
    name = error_of(lambda: amplify.create_branch(appId=app_id, branchName="bad name"))
    assert name[:2] == ("BadRequestException", 400)
    missing = error_of(lambda: amplify.create_branch(appId="dmissing000000", branchName="x"))
    assert missing[:2] == ("NotFoundException", 404)


def test_tags_on_apps_and_branches(amplify):
    app = amplify.create_app(name="tags", tags={"a": "1"})["app"]
    branch = amplify.create_branch(appId=app["appId"], branchName="main")["branch"]
    for arn, start in ((app["appArn"], {"a": "1"}), (branch["branchArn"], {})):
        assert amplify.list_tags_for_resource(resourceArn=arn)["tags"] == start
        amplify.tag_resource(resourceArn=arn, tags={"b": "2", "c": "3"})
        amplify.untag_resource(resourceArn=arn, tagKeys=["c", "a"])
        assert amplify.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    assert amplify.get_app(appId=app["appId"])["app"]["tags"] == {"b": "2"}
    unknown = app["appArn"] + "x"
    code, status, _ = error_of(lambda: amplify.list_tags_for_resource(resourceArn=unknown))
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_operations_not_emulated_answer_501_naming_them(amplify):
    app_id = amplify.create_app(name="gaps")["app"]["appId"]
    # A 501 is not retried: a call fails at once (a 500 would be retried for minutes).
    code, status, message = error_of(
        lambda: amplify.create_domain_association(
            appId=app_id, domainName="example.com", subDomainSettings=[]
        )
    )
    assert (code, status) == ("NotImplemented", 501)
    assert "amplify CreateDomainAssociation" in message
    webhook = error_of(lambda: amplify.create_webhook(appId=app_id, branchName="main"))
    assert webhook[:2] == ("NotImplemented", 501)
    assert "amplify CreateWebhook" in webhook[2]


def test_a_deployment_end_to_end(amplify):
    app_id = amplify.create_app(name="deploy")["app"]["appId"]
    amplify.create_branch(appId=app_id, branchName="main")
    created = amplify.create_deployment(appId=app_id, branchName="main")
    job_id = created["jobId"]
    assert created["fileUploadUrls"] == {}
    assert created["zipUploadUrl"].startswith("http://127.0.0.1:")

    upload = requests.put(
        created["zipUploadUrl"],
        data=site_zip({"index.html": "<h1>shop</h1>"}),
        headers={"Content-Type": "application/zip"},
        timeout=30,
    )
    assert upload.status_code == 200
    started = amplify.start_deployment(appId=app_id, branchName="main", jobId=job_id)
    assert started["jobSummary"]["status"] == "PENDING"
    assert started["jobSummary"]["jobType"] == "MANUAL"

    job, seen = wait_for_job(amplify, app_id, "main", job_id)
    assert seen[-1] == "SUCCEED"
    assert seen == [s for s in ("PENDING", "RUNNING", "SUCCEED") if s in seen]
    summary = job["summary"]
    assert summary["endTime"] >= summary["startTime"]
    assert job["steps"][0]["status"] == "SUCCEED"
    branch = amplify.get_branch(appId=app_id, branchName="main")["branch"]
    assert (branch["activeJobId"], branch["totalNumberOfJobs"]) == (job_id, "1")
    jobs = amplify.list_jobs(appId=app_id, branchName="main")["jobSummaries"]
    assert [(j["jobId"], j["status"], j["jobType"]) for j in jobs] == [
        (job_id, "SUCCEED", "MANUAL")
    ]

    # A job runs once; its upload URL is spent.
    twice = error_of(
        lambda: amplify.start_deployment(appId=app_id, branchName="main", jobId=job_id)
    )
    assert twice[:2] == ("BadRequestException", 400)
    late = requests.put(created["zipUploadUrl"], data=b"x", timeout=30)
    assert late.status_code == 403


def test_a_deployment_without_upload_fails_with_a_reason(amplify):
    app_id = amplify.create_app(name="no-upload")["app"]["appId"]
    amplify.create_branch(appId=app_id, branchName="main")
    job_id = amplify.create_deployment(appId=app_id, branchName="main")["jobId"]
    amplify.start_deployment(appId=app_id, branchName="main", jobId=job_id)
    job, _ = wait_for_job(amplify, app_id, "main", job_id)
    assert job["summary"]["status"] == "FAILED"
    assert "Nothing was uploaded" in job["steps"][0]["statusReason"]
    assert amplify.get_branch(appId=app_id, branchName="main")["branch"]["activeJobId"] == ""


def test_an_upload_that_is_no_zip_fails(amplify):
    app_id = amplify.create_app(name="not-zip")["app"]["appId"]
    amplify.create_branch(appId=app_id, branchName="main")
    created = amplify.create_deployment(appId=app_id, branchName="main")
    requests.put(created["zipUploadUrl"], data=b"<html>not a zip</html>", timeout=30)
    amplify.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    job, _ = wait_for_job(amplify, app_id, "main", created["jobId"])
    assert job["summary"]["status"] == "FAILED"
    assert "not a valid zip" in job["steps"][0]["statusReason"]


def test_a_stopped_job_is_cancelled(amplify):
    app_id = amplify.create_app(name="stop")["app"]["appId"]
    amplify.create_branch(appId=app_id, branchName="main")
    job_id = amplify.create_deployment(appId=app_id, branchName="main")["jobId"]
    stopped = amplify.stop_job(appId=app_id, branchName="main", jobId=job_id)["jobSummary"]
    assert stopped["status"] == "CANCELLED"
    unknown = error_of(lambda: amplify.get_job(appId=app_id, branchName="main", jobId="99"))
    assert unknown[:2] == ("NotFoundException", 404)


def test_an_app_with_a_repository_refuses_deployments(amplify):
    app_id = amplify.create_app(
        name="git-app", repository="https://github.com/org/app", accessToken="secret"
    )["app"]["appId"]
    app = amplify.get_app(appId=app_id)["app"]
    assert app["repository"] == "https://github.com/org/app"
    assert "accessToken" not in app
    amplify.create_branch(appId=app_id, branchName="main")
    code, status, message = error_of(
        lambda: amplify.create_deployment(appId=app_id, branchName="main")
    )
    assert (code, status) == ("BadRequestException", 400)
    assert "already connected" in message


def test_a_file_map_deployment_uploads_file_by_file(amplify):
    app_id = amplify.create_app(name="file-map")["app"]["appId"]
    amplify.create_branch(appId=app_id, branchName="main")
    files = {"index.html": "<p>home</p>", "assets/app.js": "console.log(1)"}
    created = amplify.create_deployment(
        appId=app_id, branchName="main", fileMap={name: "md5" for name in files}
    )
    assert set(created["fileUploadUrls"]) == set(files)
    for name, text in files.items():
        assert requests.put(created["fileUploadUrls"][name], data=text, timeout=30).ok
    amplify.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    job, _ = wait_for_job(amplify, app_id, "main", created["jobId"])
    assert job["summary"]["status"] == "SUCCEED"

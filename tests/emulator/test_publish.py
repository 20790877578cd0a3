"""`deployer publish`'s Amplify half against the emulator's Amplify: the deployment job,
the upload, the skip of unchanged content and the refusals."""

from __future__ import annotations

import pytest
from helpers.emulator import REGION, aws

from deployer.common import DeployerError
from deployer.config import find_project
from deployer.frontend import Publisher, Target, config_document, make_bundle
from deployer.frontend.bundle import frontend_settings


@pytest.fixture(scope="module")
def amplify(server):
    return aws(server, "amplify")


@pytest.fixture
def site(tmp_path, emulator_project):
    root = tmp_path / "site-project"
    (root / "web").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.deployer]\napp = "demo"\nemulated = ["local"]\n\n'
        '[tool.deployer.frontend]\nsource = "web"\n'
    )
    (root / "web" / "index.html").write_text("<h1>items</h1>")
    return find_project(root)


def environ(server) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
    }


def new_branch(amplify, **app) -> Target:
    app_id = amplify.create_app(name="demo-local", **app)["app"]["appId"]
    amplify.create_branch(appId=app_id, branchName="local", stage="DEVELOPMENT")
    return Target(app_id, "local", None)


def bundle_of(project, tmp_path, name="site.zip"):
    config = config_document({"api_url": "http://127.0.0.1:1/"}, "local")
    return make_bundle(project, frontend_settings(project), config, tmp_path / name)


def jobs(amplify, target: Target) -> list[dict]:
    return amplify.list_jobs(appId=target.app_id, branchName=target.branch)["jobSummaries"]


def test_a_publish_deploys_and_unchanged_content_uploads_nothing(server, amplify, site, tmp_path):
    target = new_branch(amplify)
    lines: list[str] = []
    publisher = Publisher(site, "local", environ(server), target, progress=lines.append)
    first = publisher.publish(bundle_of(site, tmp_path))
    assert first.uploaded and first.job_id
    job = amplify.get_job(appId=target.app_id, branchName="local", jobId=first.job_id)["job"]
    assert job["summary"]["status"] == "SUCCEED"
    assert any("SUCCEED" in line for line in lines)
    branch = amplify.get_branch(appId=target.app_id, branchName="local")["branch"]
    assert branch["activeJobId"] == first.job_id

    again = publisher.publish(bundle_of(site, tmp_path, "again.zip"))
    assert not again.uploaded and again.job_id == first.job_id
    assert len(jobs(amplify, target)) == 1

    (site.root / "web" / "index.html").write_text("<h1>items, v2</h1>")
    changed = publisher.publish(bundle_of(site, tmp_path, "changed.zip"))
    assert changed.uploaded and changed.job_id != first.job_id
    assert len(jobs(amplify, target)) == 2

    forced = publisher.publish(bundle_of(site, tmp_path, "forced.zip"), force=True)
    assert forced.uploaded and len(jobs(amplify, target)) == 3


def test_an_app_built_from_git_is_refused(server, amplify, site, tmp_path):
    target = new_branch(
        amplify, repository="https://github.com/example/shop", accessToken="not-a-token"
    )
    publisher = Publisher(site, "local", environ(server), target)
    with pytest.raises(DeployerError, match="Amplify builds and deploys it from Git"):
        publisher.publish(bundle_of(site, tmp_path))
    assert jobs(amplify, target) == []


def test_a_missing_app_says_to_apply(server, site, tmp_path):
    publisher = Publisher(site, "local", environ(server), Target("d0000000000000", "local", None))
    with pytest.raises(DeployerError, match=r"run `deployer apply local`"):
        publisher.publish(bundle_of(site, tmp_path))

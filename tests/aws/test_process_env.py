"""The process environment per environment: the emulator's for `local`, untouched otherwise."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers.backend_projects import write_env_project

from deployer.aws import CredentialsError
from deployer.aws import process_env as aws_env
from deployer.aws.clients import client
from deployer.aws.process_env import emulated_environment, prepare
from deployer.common.errors import UserInputError
from deployer.config.project import Project
from deployer.emulator.control import stop
from deployer.emulator.state import state_dir


def write_project(root: Path) -> Project:
    backends = {
        env: f'bucket = "demo-{env}-tfstate"\nkey = "{env}/terraform.tfstate"\n'
        'region = "eu-central-1"\nuse_lockfile = true\nuse_path_style = true\n'
        for env in ("local", "dev")
    }
    return write_env_project(root, 'app = "demo"\nemulated = ["local", "sandbox"]\n', backends)


@pytest.fixture
def project(tmp_path: Path):
    proj = write_project(tmp_path / "proj")
    yield proj
    stop(proj)


def test_emulated_environment_drops_the_users_aws_setup():
    base = {
        "PATH": "/bin",
        "AWS_PROFILE": "prod-admin",
        "AWS_SESSION_TOKEN": "tok",
        "AWS_ENDPOINT_URL_S3": "https://s3.example.com",
        "AWS_REGION": "us-east-1",
    }
    env = emulated_environment("http://127.0.0.1:4566", "eu-central-1", base)
    assert env["PATH"] == "/bin"
    for gone in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        assert gone not in env
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-central-1"
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert base["AWS_PROFILE"] == "prod-admin"  # the input is not changed


def test_other_environments_get_os_environ_with_the_backends_region(
    project: Project, monkeypatch, tmp_path: Path
):
    credentials = tmp_path / "credentials"
    credentials.write_text("[dev-deployer]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "dev-deployer")
    env = prepare(project, "dev")
    assert env == {**os.environ, "AWS_REGION": "eu-central-1"}  # envs/dev.backend.hcl's
    assert "AWS_ENDPOINT_URL" not in env
    assert not (state_dir(project) / "server.json").exists()  # no emulator for `dev`

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")  # the shell's own region wins
    assert prepare(project, "dev") == dict(os.environ)


def test_an_s3_state_without_credentials_is_one_line_with_the_fix(project: Project, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CredentialsError) as caught:
        prepare(project, "dev")
    assert caught.value.message.startswith("No AWS credentials for dev: ")
    assert "`aws sso login --profile NAME`" in caught.value.message
    assert caught.value.exit_code == 1

    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(CredentialsError, match=r"The AWS profile 'nope' of dev does not exist"):
        prepare(project, "dev")


def test_the_backend_files_profile_is_the_one_checked(project: Project, monkeypatch, tmp_path):
    # Terraform's S3 backend signs with the profile its backend file names, not AWS_PROFILE.
    credentials = tmp_path / "credentials"
    credentials.write_text("[state]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CredentialsError, match="No AWS credentials for dev"):
        prepare(project, "dev")  # the default profile has none
    backend = project.envs_dir / "dev.backend.hcl"
    backend.write_text(backend.read_text() + 'profile = "state"\n', encoding="utf-8")
    env = prepare(project, "dev")
    assert "AWS_PROFILE" not in env  # Terraform reads it from the backend file itself


def test_a_local_state_needs_no_credentials(project: Project, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    (project.envs_dir / "dev.backend.hcl").write_text('path = "dev.tfstate"\n', encoding="utf-8")
    assert prepare(project, "dev") == dict(os.environ)  # and no region to add


def test_an_endpoint_pointing_at_our_emulator_is_refused_elsewhere(project, monkeypatch):
    folder = state_dir(project)
    folder.mkdir(parents=True)
    (folder / "server.json").write_text(json.dumps({"pid": 1, "port": 45123}))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:45123")
    with pytest.raises(UserInputError, match=r"AWS_ENDPOINT_URL=.*points at the local emulator"):
        prepare(project, "dev")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:9999")  # someone else's: allowed
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert prepare(project, "dev")["AWS_ENDPOINT_URL"] == "http://localhost:9999"


def test_local_starts_the_emulator_and_bootstraps_state(project: Project, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "prod-admin")
    before = dict(os.environ)
    env = prepare(project, "local")
    assert dict(os.environ) == before  # never mutated

    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert "AWS_PROFILE" not in env and env["AWS_REGION"] == "eu-central-1"
    s3 = client(env, "s3", path_style=True)
    assert s3.get_bucket_versioning(Bucket="demo-local-tfstate")["Status"] == "Enabled"
    assert s3.meta.endpoint_url == env["AWS_ENDPOINT_URL"]
    block = s3.get_public_access_block(Bucket="demo-local-tfstate")
    assert all(block["PublicAccessBlockConfiguration"].values())
    # The emulator speaks plain HTTP: a TLS-only policy would deny every request to it.
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket="demo-local-tfstate")

    again = prepare(project, "local")  # idempotent: same server, bucket already there
    assert again["AWS_ENDPOINT_URL"] == env["AWS_ENDPOINT_URL"]


def test_emulated_without_backend_file_names_the_file(project: Project):
    with pytest.raises(UserInputError, match=r"envs/sandbox\.backend\.hcl is missing"):
        prepare(project, "sandbox")
    assert aws_env.is_emulated(project, "sandbox")

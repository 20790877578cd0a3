"""`deployer token ENV` as a user calls it (CliRunner), on an emulated project with a real
running emulator: the token it prints verifies with the issuer's JWKS; its audience
comes from the deployed JWT authorizers of the local issuer; bad input and real
environments are one sentence and exit code 2.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import jwt
import pytest
from helpers.emulator import aws, make_project
from typer.testing import CliRunner

from deployer.cli import app
from deployer.config import Project
from deployer.emulator import LOCAL_ISSUER, ensure_running, state_dir, stop
from deployer.emulator.oidc import JWKS_PATH, KEY_FILE

AUDIENCE = "https://api.demo.test"


@dataclass
class Local:
    project: Project
    server: object  # the running EmulatorStatus

    def jwks(self) -> dict:
        """The issuer's JWKS, over HTTP from the emulator."""
        url = self.server.endpoint + JWKS_PATH
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (loopback)
            return json.loads(answer.read())

    def verify(self, token: str, audience: str = AUDIENCE) -> dict:
        kid = jwt.get_unverified_header(token)["kid"]
        (key,) = [k for k in self.jwks()["keys"] if k["kid"] == kid]
        return jwt.decode(
            token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=audience, issuer=LOCAL_ISSUER
        )


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Iterator[Local]:
    root = tmp_path_factory.mktemp("token") / "proj"
    project = make_project(root)
    # A real environment beside it, which `deployer token` must refuse.
    (root / "envs" / "dev.tfvars").write_text("", encoding="utf-8")
    (root / "envs" / "dev.backend.hcl").write_text(
        'bucket = "demo-dev-tfstate"\nkey = "dev/terraform.tfstate"\nregion = "eu-west-1"\n'
        "use_lockfile = true\nencrypt = true\n",
        encoding="utf-8",
    )
    server = ensure_running(project)
    try:
        yield Local(project, server)
    finally:
        stop(project)


@pytest.fixture
def run(local: Local, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(local.project.root)

    def invoke(*args: str):
        return CliRunner().invoke(app, ["token", *args])

    return invoke


def test_prints_only_a_token_that_verifies_with_the_issuers_jwks(local, run) -> None:
    result = run("local", "--audience", AUDIENCE, "--scope", "items:write", "--scope", "items:read")
    assert result.exit_code == 0, result.output
    (token,) = result.stdout.split()  # only the token: $(deployer token local) works
    claims = local.verify(token)
    assert claims["iss"] == LOCAL_ISSUER and claims["aud"] == AUDIENCE
    assert claims["scope"] == "items:write items:read"
    assert claims["sub"] == "local-user"
    assert claims["exp"] - claims["iat"] == 3600  # one hour by default


def test_sub_expires_and_json(local, run) -> None:
    result = run("local", "--audience", AUDIENCE, "--sub", "alice", "--expires", "30m", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    claims = local.verify(data["token"])
    assert claims == data["claims"]
    assert data["environment"] == "local"
    assert claims["sub"] == "alice" and claims["exp"] - claims["iat"] == 1800
    assert "scope" not in claims


@pytest.mark.parametrize(("text", "seconds"), [("3600s", 3600), ("2h", 7200), ("90", 90)])
def test_expires_forms(local, run, text, seconds) -> None:
    result = run("local", "--audience", AUDIENCE, "--expires", text)
    assert result.exit_code == 0, result.output
    claims = local.verify(result.stdout.strip())
    assert claims["exp"] - claims["iat"] == seconds


@pytest.mark.parametrize("text", ["1w", "abc", "0", "-5m", "1.5h", "400d"])
def test_a_bad_expires_is_one_sentence_naming_the_accepted_forms(run, text) -> None:
    result = run("local", "--audience", AUDIENCE, "--expires", text)
    assert result.exit_code == 2
    assert f"--expires {text!r} is not a lifetime" in result.stderr
    assert "3600s, 30m, 1h, 7d" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_the_audience_comes_from_the_deployed_authorizers_of_the_local_issuer(local, run):
    api = aws(local.server, "apigatewayv2")
    made = []
    try:
        for name, issuer, audience in [
            ("demo-local", LOCAL_ISSUER, AUDIENCE),
            ("demo-local", "https://login.example.com/", "https://foreign.example.com"),
            ("another-app", LOCAL_ISSUER, "https://another.example.com"),  # not this env's API
        ]:
            api_id = (
                next((a["ApiId"] for a in api.get_apis()["Items"] if a["Name"] == name), None)
                or api.create_api(Name=name, ProtocolType="HTTP")["ApiId"]
            )
            made.append(api_id)
            api.create_authorizer(
                ApiId=api_id,
                AuthorizerType="JWT",
                IdentitySource=["$request.header.Authorization"],
                Name=f"jwt-{len(made)}",
                JwtConfiguration={"Issuer": issuer, "Audience": [audience]},
            )
        result = run("local")
        assert result.exit_code == 0, result.output
        assert local.verify(result.stdout.strip())["aud"] == AUDIENCE
    finally:
        for api_id in set(made):
            api.delete_api(ApiId=api_id)


def test_without_a_deployed_local_authorizer_the_audience_is_asked_for(run) -> None:
    result = run("local")
    assert result.exit_code == 2
    assert "No JWT authorizer of the issuer https://auth.deployer.localhost/" in result.stderr
    assert "--audience" in result.stderr and result.stdout == ""


def test_a_real_environment_is_refused(local, run) -> None:
    result = run("dev", "--audience", AUDIENCE)
    assert result.exit_code == 2
    assert "Tokens for dev come from your identity provider" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output


def test_an_unknown_environment_is_refused(run) -> None:
    result = run("nope", "--audience", AUDIENCE)
    assert result.exit_code == 2 and "Unknown environment 'nope'" in result.stderr


def test_an_emulator_without_a_signing_key_is_a_message(local, run) -> None:
    key = state_dir(local.project) / KEY_FILE
    kept = key.with_name("kept.pem")
    os.replace(key, kept)
    try:
        result = run("local", "--audience", AUDIENCE)
    finally:
        os.replace(kept, key)
    assert result.exit_code == 1
    assert "no token signing key" in result.stderr and "deployer local stop" in result.stderr
    assert "Traceback" not in result.output

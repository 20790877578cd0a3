"""`[tool.deployer.smoke]` read from pyproject.toml: defaults, both spellings of the
checks, and one sentence naming the key and the fix for every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployer.common import UserInputError
from deployer.config import SmokeCheck, SmokeSettings, find_project


def settings(tmp_path: Path, smoke: str) -> SmokeSettings:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.deployer]\napp = "demo"\n{smoke}', encoding="utf-8"
    )
    return find_project(tmp_path).settings.smoke


def test_without_a_table_only_the_health_route_is_checked_for_60_seconds(tmp_path):
    assert settings(tmp_path, "") == SmokeSettings(checks=(), health=True, timeout=60.0)


def test_checks_get_their_defaults_and_keep_their_order(tmp_path):
    smoke = settings(
        tmp_path,
        '[tool.deployer.smoke]\ntimeout = 5\nhealth = "GET /ready"\n'
        '[[tool.deployer.smoke.checks]]\npath = "/items"\ntoken = "local"\n'
        'scopes = ["items:read"]\n'
        '[[tool.deployer.smoke.checks]]\nname = "no token"\npath = "/items"\n'
        'method = "post"\nstatus = 401\ntoken_env = "SMOKE_TOKEN"\n',
    )
    assert smoke.timeout == 5.0 and smoke.health == "GET /ready"
    first, second = smoke.checks
    assert first == SmokeCheck(path="/items", token="local", scopes=("items:read",))
    assert first.label == "GET /items"
    assert second == SmokeCheck(
        path="/items", method="POST", status=401, name="no token", token_env="SMOKE_TOKEN"
    )
    assert second.label == "no token"


def test_a_list_of_checks_alone_is_accepted(tmp_path):
    smoke = settings(tmp_path, '[[tool.deployer.smoke]]\npath = "/a"\n')
    assert smoke.checks == (SmokeCheck(path="/a"),) and smoke.health is True


def test_health_false_switches_the_health_check_off(tmp_path):
    assert settings(tmp_path, "[tool.deployer.smoke]\nhealth = false\n").health is False


@pytest.mark.parametrize(
    ("smoke", "message"),
    [
        ("[tool.deployer.smoke]\nwait = 3\n", "smoke: unknown key 'wait'; the keys are checks"),
        ("[tool.deployer.smoke]\ntimeout = 0\n", "timeout = 0 must be the seconds each check"),
        ('[tool.deployer.smoke]\ntimeout = "1m"\n', "timeout = '1m' must be the seconds"),
        ('[tool.deployer.smoke]\nhealth = "/health"\n', "health = '/health' must be a route"),
        ('[tool.deployer.smoke]\nchecks = "x"\n', "checks must be a list of tables"),
        ("[[tool.deployer.smoke.checks]]\nstatus = 200\n", "checks[0]: path is missing"),
        ('[[tool.deployer.smoke.checks]]\npath = "items"\n', "path = 'items' must be"),
        ('[[tool.deployer.smoke.checks]]\npath = "/a b"\n', "without spaces"),
        (
            '[[tool.deployer.smoke.checks]]\npath = "/a"\nmethod = "FETCH"\n',
            "method = 'FETCH' is not an HTTP method; use one of GET, HEAD",
        ),
        ('[[tool.deployer.smoke.checks]]\npath = "/a"\nstatus = 99\n', "status = 99 must be"),
        ('[[tool.deployer.smoke.checks]]\npath = "/a"\nstatus = "200"\n', "status = '200'"),
        (
            '[[tool.deployer.smoke.checks]]\npath = "/a"\ntoken = "eyJhbGciOi"\n',
            "never a token written in pyproject.toml",
        ),
        (
            '[[tool.deployer.smoke.checks]]\npath = "/a"\nscopes = ["x"]\n',
            'scopes are those of a local token: add token = "local"',
        ),
        (
            '[[tool.deployer.smoke.checks]]\npath = "/a"\ntoken_env = "$TOKEN"\n',
            "token_env = '$TOKEN' must name an environment variable",
        ),
        (
            '[[tool.deployer.smoke.checks]]\npath = "/a"\nexpect = 200\n',
            "checks[0]: unknown key 'expect'",
        ),
    ],
)
def test_a_bad_value_is_one_sentence_naming_the_key_and_the_fix(tmp_path, smoke, message):
    with pytest.raises(UserInputError) as raised:
        settings(tmp_path, smoke)
    text = str(raised.value)
    assert str(tmp_path / "pyproject.toml") in text and "[tool.deployer].smoke" in text
    assert message in text
    assert "\n" not in text

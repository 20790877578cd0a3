"""`deployer github comment` against a local HTTP server standing in for GitHub's API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.fake_github import PR, REPO, TOKEN, Failure, FakeGitHub
from typer.testing import CliRunner

from deployer.cli import app

runner = CliRunner()
MARKER = "<!-- deployer:plan -->"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between attempts, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr("deployer.review.github_comment._sleep", recorded.append)
    return recorded


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> Iterator[FakeGitHub]:
    with FakeGitHub(identity={"login": "deploy-bot", "type": "User"}) as fake:
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        yield fake


@pytest.fixture
def actions_github(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> Iterator[FakeGitHub]:
    """GitHub as seen with GitHub Actions' GITHUB_TOKEN: no /user, writes as the bot."""
    with FakeGitHub(identity=None) as fake:
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        yield fake


def _body(tmp_path: Path, text: str, name: str = "plan.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _comment(body_file: Path, *extra: str):
    argv = ["github", "comment", "--repo", REPO, "--pr", str(PR), "--body-file", str(body_file)]
    return runner.invoke(app, [*argv, *extra])


def test_first_run_creates_second_run_patches_the_same_comment(github, tmp_path) -> None:
    first = _comment(_body(tmp_path, "### Plan one\n"), "--json")
    assert first.exit_code == 0, first.output
    created = json.loads(first.output)
    assert created["action"] == "created"
    assert created["author"] == "deploy-bot"
    comment = github.comment(created["id"])
    assert comment["body"] == f"{MARKER}\n### Plan one\n"

    second = _comment(_body(tmp_path, "### Plan two\n"), "--json")
    assert second.exit_code == 0, second.output
    updated = json.loads(second.output)
    assert updated["action"] == "updated"
    assert updated["id"] == created["id"]
    assert [c["body"] for c in github.comments] == [f"{MARKER}\n### Plan two\n"]
    assert github.calls("POST") == [f"/repos/{REPO}/issues/{PR}/comments"]
    assert github.calls("PATCH") == [f"/repos/{REPO}/issues/comments/{created['id']}"]


def test_the_same_body_again_changes_nothing(github, tmp_path) -> None:
    body = _body(tmp_path, "### Plan\n")
    assert _comment(body).exit_code == 0
    result = _comment(body)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("unchanged comment https://github.example/")
    assert github.calls("PATCH") == []
    assert len(github.comments) == 1


def test_someone_elses_comment_with_the_marker_is_left_alone(github, tmp_path) -> None:
    theirs = github.add_comment(f"{MARKER}\nI copied your marker", login="mallory")
    bots = github.add_comment(f"{MARKER}\nanother bot", login="other-app[bot]", user_type="Bot")
    result = _comment(_body(tmp_path, "### Plan\n"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["action"] == "created"
    assert github.comment(theirs)["body"] == f"{MARKER}\nI copied your marker"
    assert github.comment(bots)["body"] == f"{MARKER}\nanother bot"
    assert github.calls("PATCH") == []


def test_a_different_key_is_a_different_comment(github, tmp_path) -> None:
    body = _body(tmp_path, "### Plan\n")
    assert _comment(body).exit_code == 0
    result = _comment(body, "--key", "plan-qa", "--json")
    assert json.loads(result.output)["action"] == "created"
    assert [c["body"].split("\n")[0] for c in github.comments] == [
        MARKER,
        "<!-- deployer:plan-qa -->",
    ]


def test_with_the_actions_token_only_the_actions_bot_is_us(actions_github, tmp_path) -> None:
    fake = actions_github
    impostor = fake.add_comment(f"{MARKER}\nold", login="mallory")
    other_bot = fake.add_comment(f"{MARKER}\nold", login="renovate[bot]", user_type="Bot")
    ours = fake.add_comment(f"{MARKER}\nold", login="github-actions[bot]", user_type="Bot")
    result = _comment(_body(tmp_path, "### New plan\n"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "action": "updated",
        "id": ours,
        "url": fake.comment(ours)["html_url"],
        "author": "github-actions[bot]",
    }
    assert fake.comment(ours)["body"] == f"{MARKER}\n### New plan\n"
    assert fake.comment(impostor)["body"] == f"{MARKER}\nold"
    assert fake.comment(other_bot)["body"] == f"{MARKER}\nold"
    assert fake.calls("PATCH") == [f"/repos/{REPO}/issues/comments/{ours}"]


def test_pagination_finds_a_comment_on_a_later_page(waits, monkeypatch, tmp_path) -> None:
    with FakeGitHub(identity={"login": "deploy-bot", "type": "User"}, page_size=2) as fake:
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        for n in range(5):
            fake.add_comment(f"comment {n}", login=f"reviewer{n}")
        ours = fake.add_comment(f"{MARKER}\nold", login="deploy-bot")
        fake.add_comment("a comment on another pull request", login="deploy-bot", pr=8)
        result = _comment(_body(tmp_path, "### Plan\n"), "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["id"] == ours
        listed = [p for p in fake.calls("GET") if "/comments" in p]
        assert len(listed) == 3  # pages 1, 2 and 3 of 2 comments each
        assert listed[-1].endswith("page=3")


def test_server_errors_are_retried(github, waits, tmp_path) -> None:
    github.failures.append(Failure("POST", "/comments", 502, times=2))
    github.failures.append(Failure("GET", "/user", 503, {"Retry-After": "0"}))
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("created comment")
    assert waits == [0.0, 1.0, 2.0]  # Retry-After, then exponential backoff
    assert len(github.calls("POST")) == 3
    assert len(github.comments) == 1


def test_retries_are_bounded(github, waits, tmp_path) -> None:
    github.failures.append(Failure("POST", "/comments", 500, times=99))
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 1
    assert "kept failing on POST /repos/octo-org/shop/issues/7/comments (HTTP 500)" in result.output
    assert "after 5 attempts" in result.output
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        (403, {"Retry-After": "1"}, {"message": "You have exceeded a secondary rate limit."}),
        (429, {"Retry-After": "1"}, {"message": "Too many requests"}),
    ],
)
def test_rate_limits_honour_retry_after(github, waits, tmp_path, status, headers, body) -> None:
    github.failures.append(Failure("POST", "/comments", status, headers, body))
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 0, result.output
    assert waits == [1.0]
    assert len(github.calls("POST")) == 2


def test_an_exhausted_primary_rate_limit_waits_for_the_reset(github, waits, tmp_path) -> None:
    import time

    reset = int(time.time()) + 5
    github.failures.append(
        Failure(
            "GET",
            "/comments",
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
            {"message": "API rate limit exceeded"},
        )
    )
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 0, result.output
    assert len(waits) == 1 and 1.0 <= waits[0] <= 6.0  # until the reset, plus a second


def test_a_wait_longer_than_the_budget_fails_at_once(github, waits, tmp_path) -> None:
    github.failures.append(Failure("POST", "/comments", 429, {"Retry-After": "3600"}))
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 1
    assert "GitHub asked to wait 3600 s more" in result.output
    assert waits == []


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            422,
            {
                "message": "Validation Failed",
                "errors": [{"field": "body", "message": "body is too long"}],
            },
            "with HTTP 422 (Validation Failed; body is too long): GitHub refused the "
            "comment body; check the body file.",
        ),
        (401, {"message": "Bad credentials"}, "check GITHUB_TOKEN (expired or revoked?)"),
        (
            403,
            {"message": "Resource not accessible by integration"},
            "give the job `permissions: pull-requests: write`",
        ),
        (404, {"message": "Not Found"}, "check --repo and --pr"),
    ],
)
def test_refusals_end_with_one_clear_line_and_exit_1(
    github, waits, tmp_path, status, body, expected
) -> None:
    github.failures.append(Failure("POST", "/comments", status, body=body))
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(
        f"error: GitHub answered POST /repos/{REPO}/issues/{PR}/comments with HTTP {status}"
    )
    assert expected in lines[0]
    assert waits == []  # never retried
    assert len(github.calls("POST")) == 1


def test_a_bad_token_is_reported_not_retried(github, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 1
    assert "GET /user with HTTP 401 (Bad credentials)" in result.output
    assert github.comments == []


def test_a_missing_token_is_one_line_exit_2(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: GITHUB_TOKEN is not set: export a token that may comment on pull requests "
        "(in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`)."
    ]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--repo", "not-a-repo"], "--repo 'not-a-repo' is not OWNER/NAME"),
        (["--key", "bad key"], "--key 'bad key' is not valid"),
    ],
)
def test_bad_arguments_exit_2(github, tmp_path, argv, expected) -> None:
    body = _body(tmp_path, "### Plan\n")
    base = ["github", "comment", "--pr", "7", "--body-file", str(body)]
    if "--repo" not in argv:
        base += ["--repo", REPO]
    result = runner.invoke(app, [*base, *argv])
    assert result.exit_code == 2
    assert expected in result.output
    assert github.requests == []


def test_body_file_problems_exit_2(github, tmp_path) -> None:
    missing = _comment(tmp_path / "nope.md")
    assert missing.exit_code == 2
    assert "nope.md does not exist" in missing.output
    empty = _comment(_body(tmp_path, "  \n"))
    assert empty.exit_code == 2 and "is empty" in empty.output
    huge = _comment(_body(tmp_path, "x" * 70_000))
    assert huge.exit_code == 2 and "over GitHub's 65,536" in huge.output
    assert github.requests == []


def test_the_body_goes_to_the_step_summary(github, monkeypatch, tmp_path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert _comment(_body(tmp_path, "### Plan for `dev`\n")).exit_code == 0
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")
    assert "### Plan for `dev`" in text
    assert MARKER not in text


def test_the_step_summary_is_written_even_when_github_refuses(github, monkeypatch, tmp_path):
    summary = tmp_path / "step_summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    github.failures.append(Failure("POST", "/comments", 403, body={"message": "Forbidden"}))
    assert _comment(_body(tmp_path, "### Plan\n")).exit_code == 1
    assert "### Plan" in summary.read_text(encoding="utf-8")


def test_a_next_link_to_another_host_is_refused(github, tmp_path) -> None:
    github.add_comment("x", login="someone")
    github.failures.append(
        Failure(
            "GET",
            "/comments",
            200,
            {"Link": '<https://evil.example/steal?page=2>; rel="next"'},
            body=[],  # type: ignore[arg-type]
        )
    )
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 1
    assert "refusing to send the token there" in result.output
    assert github.calls("POST") == []


def test_an_answer_that_is_not_json_is_a_clear_error(github, tmp_path) -> None:
    github.failures.append(Failure("GET", "/comments", 200, html="<html>proxy login</html>"))
    result = _comment(_body(tmp_path, "### Plan\n"))
    assert result.exit_code == 1
    assert "with something other than JSON" in result.output
    assert "check GITHUB_API_URL" in result.output
    assert "Traceback" not in result.output


def test_the_longest_marker_fits_in_the_room_the_renderer_leaves() -> None:
    from deployer.review.github_comment import marker
    from deployer.review.markdown import MARKER_ROOM

    assert len(marker("k" * 64) + "\n") <= MARKER_ROOM

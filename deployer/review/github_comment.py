"""One sticky comment per pull request, created once and patched in place afterwards.

The comment is found again by a hidden marker, `<!-- deployer:<key> -->`, on its first
line, and only among comments written by the token's own identity: a comment by anyone
else is never edited, whatever it contains. With a personal or app user token that
identity is `GET /user`; GitHub Actions' GITHUB_TOKEN cannot read `/user`, and its
comments are written by the `github-actions[bot]` bot account, so that is the identity
then (or the one named with `author`).

Transient failures are retried: 5xx answers, network errors and rate limits (429, or 403
with `Retry-After` or `x-ratelimit-remaining: 0`), honouring `Retry-After`, within a
bounded number of attempts and a bounded total wait.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

from deployer.common import DeployerError, UserInputError
from deployer.review.markdown import GITHUB_COMMENT_LIMIT as COMMENT_LIMIT

TOKEN_ENV = "GITHUB_TOKEN"  # noqa: S105 (the variable's name, not a token)
API_URL_ENV = "GITHUB_API_URL"
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
DEFAULT_API_URL = "https://api.github.com"
ACTIONS_BOT_LOGIN = "github-actions[bot]"

REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

MAX_ATTEMPTS = 5
MAX_TOTAL_WAIT = 120.0  # seconds spent sleeping between attempts, all retries together
# GitHub's advice for a secondary rate limit that says nothing of when to come back.
SECONDARY_LIMIT_WAIT = 60.0
REQUEST_TIMEOUT = 30.0


def marker(key: str) -> str:
    """The hidden first line that identifies the comment for `key`."""
    return f"<!-- deployer:{key} -->"


@dataclass(frozen=True)
class CommentResult:
    """What `post_sticky_comment` did."""

    action: str  # "created" | "updated" | "unchanged"
    comment_id: int
    url: str
    author: str

    def as_dict(self) -> dict:
        return {
            "action": self.action,
            "id": self.comment_id,
            "url": self.url,
            "author": self.author,
        }


class GitHubClient:
    """A small GitHub REST client: retries what is transient, explains what is not."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        session: requests.Session | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        max_total_wait: float = MAX_TOTAL_WAIT,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "deployer",
            }
        )
        self.max_attempts = max_attempts
        self.max_total_wait = max_total_wait
        self.sleep = sleep or _sleep
        self._origin = urlsplit(self.api_url)[:2]

    def request(
        self, method: str, url: str, *, accept: tuple[int, ...] = (), **kwargs
    ) -> requests.Response:
        """One API call, retried while GitHub says "later"; a clear error otherwise.

        Error statuses in `accept` are returned (once retries are over) instead of raised.
        """
        if not url.startswith(("http://", "https://")):
            url = f"{self.api_url}{url}"
        what = f"{method} {urlsplit(url).path}"
        waited = 0.0
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.session.request(method, url, timeout=REQUEST_TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                reason, wait = f"{type(exc).__name__}: {exc}", _backoff(attempt)
            else:
                if response.status_code < 400:
                    return response
                wait = _retry_wait(response, attempt)
                if wait is None:
                    if response.status_code in accept:
                        return response
                    raise DeployerError(_error_message(response, what)) from None
                reason = f"HTTP {response.status_code}"
            if attempt == self.max_attempts:
                break
            if waited + wait > self.max_total_wait:
                raise DeployerError(
                    f"GitHub asked to wait {wait:.0f} s more on {what} ({reason}), past the "
                    f"{self.max_total_wait:.0f} s this command waits in total: re-run the job "
                    "later."
                )
            self.sleep(wait)
            waited += wait
        raise DeployerError(
            f"GitHub kept failing on {what} ({reason}) after {self.max_attempts} attempts: "
            "check https://www.githubstatus.com and re-run the job."
        )

    def paginate(self, url: str, params: dict | None = None) -> Iterator[dict]:
        """Every item of a list endpoint, following the `Link: rel="next"` header."""
        next_url: str | None = url
        while next_url:
            response = self.request("GET", next_url, params=params)
            params = None  # the next link carries the query already
            items = _json(response)
            if not isinstance(items, list):
                raise DeployerError(f"GitHub answered GET {url} with a non-list: {items!r:.200}")
            yield from items
            next_url = response.links.get("next", {}).get("url")
            if next_url and urlsplit(next_url)[:2] != self._origin:
                # The token goes to the API host only, never to a host named in a header.
                raise DeployerError(
                    f"GitHub's next page link points to another host ({next_url}): refusing "
                    f"to send the token there; check {API_URL_ENV}."
                )

    def identity(self, author: str | None = None) -> tuple[str, bool]:
        """The login whose comments may be edited, and whether it is a bot account."""
        if author:
            return author, author.endswith("[bot]")
        response = self.request("GET", "/user", accept=(403,))
        if response.status_code == 403:
            # Installation tokens (GitHub Actions' GITHUB_TOKEN) may not read /user: they
            # act as the github-actions[bot] account.
            return ACTIONS_BOT_LOGIN, True
        user = _json(response)
        if not isinstance(user, dict) or not user.get("login"):
            raise DeployerError(f"GitHub answered GET /user without a login: {user!r:.200}")
        return str(user["login"]), user.get("type") == "Bot"


def _json(response: requests.Response) -> object:
    """The JSON of a successful answer; a clear error when it is something else."""
    try:
        return response.json()
    except ValueError:
        path = urlsplit(response.url).path
        raise DeployerError(
            f"GitHub answered {response.request.method} {path} with something other than "
            f"JSON ({response.text[:100]!r}): check {API_URL_ENV} points at GitHub's REST API."
        ) from None


def _sleep(seconds: float) -> None:
    """Wait between attempts (a module function, so tests can watch the waits)."""
    time.sleep(seconds)


def _backoff(attempt: int) -> float:
    return float(min(2 ** (attempt - 1), 30))


def _header_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date."""
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _retry_wait(response: requests.Response, attempt: int) -> float | None:
    """Seconds to wait before retrying `response`, or None when retrying cannot help."""
    status = response.status_code
    retry_after = _header_seconds(response.headers.get("Retry-After"))
    if status >= 500:
        return retry_after if retry_after is not None else _backoff(attempt)
    if status not in (403, 429):
        return None
    if retry_after is not None:
        return retry_after
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset")
        try:
            return max(float(reset) - time.time(), 0.0) + 1.0 if reset else _backoff(attempt)
        except ValueError:
            return _backoff(attempt)
    if status == 429 or "secondary rate limit" in _api_message(response).lower():
        return SECONDARY_LIMIT_WAIT
    return None  # a plain 403: a permission problem, retrying will not change it


def _api_message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200].strip()
    if not isinstance(data, dict):
        return ""
    message = str(data.get("message", ""))
    details = [
        str(e.get("message") or e.get("code"))
        for e in data.get("errors") or []
        if isinstance(e, dict)
    ]
    return "; ".join([message, *details]) if details else message


_FIXES = {
    401: f"GitHub did not accept the token: check {TOKEN_ENV} (expired or revoked?)",
    403: (
        "the token may not do this: in a workflow give the job `permissions: pull-requests: "
        "write`; a personal token needs access to the repository's pull requests"
    ),
    404: (
        "check --repo and --pr, and that the token can see the repository "
        "(GitHub answers 404 for private repositories it hides)"
    ),
    422: "GitHub refused the comment body; check the body file",
}


def _error_message(response: requests.Response, what: str) -> str:
    status = response.status_code
    message = _api_message(response)
    said = f" ({message})" if message else ""
    fix = _FIXES.get(status, "GitHub's message says why")
    return f"GitHub answered {what} with HTTP {status}{said}: {fix}."


def _is_ours(comment: dict, key_marker: str, login: str, is_bot: bool) -> bool:
    user = comment.get("user") or {}
    if user.get("login") != login:
        return False
    if is_bot and user.get("type") != "Bot":
        return False
    body = comment.get("body") or ""
    return key_marker in body.split("\n", 1)[0]


def _comment_json(response: requests.Response) -> dict:
    comment = _json(response)
    if not isinstance(comment, dict) or "id" not in comment:
        raise DeployerError(f"GitHub answered without the comment: {comment!r:.200}")
    return comment


def read_body(path: Path) -> str:
    """The comment body from a file, or a clear error naming it."""
    try:
        body = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserInputError(f"{path} does not exist: pass the markdown file to post.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"{path} cannot be read as UTF-8 text ({exc}).") from None
    if not body.strip():
        raise UserInputError(f"{path} is empty: GitHub does not accept an empty comment.")
    return body


def append_step_summary(body: str) -> Path | None:
    """Append `body` to $GITHUB_STEP_SUMMARY when GitHub Actions provides one."""
    target = os.environ.get(STEP_SUMMARY_ENV)
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(body.rstrip("\n") + "\n\n")
    return path


def client_from_environment() -> GitHubClient:
    """A client with the token from $GITHUB_TOKEN and the API from $GITHUB_API_URL."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UserInputError(
            f"{TOKEN_ENV} is not set: export a token that may comment on pull requests "
            f"(in a workflow: `env: {TOKEN_ENV}: ${{{{ github.token }}}}`)."
        )
    api_url = os.environ.get(API_URL_ENV, "").strip() or DEFAULT_API_URL
    if not api_url.startswith(("https://", "http://")):
        raise UserInputError(f"{API_URL_ENV}={api_url!r} is not an http(s) URL.")
    return GitHubClient(token, api_url)


def post_sticky_comment(
    client: GitHubClient,
    repo: str,
    pr: int,
    body: str,
    *,
    key: str = "plan",
    author: str | None = None,
) -> CommentResult:
    """Patch this tool's earlier comment carrying `key`'s marker on the pull request, or
    create one; comments by anyone else are never touched."""
    if not REPO_RE.fullmatch(repo):
        raise UserInputError(f"--repo {repo!r} is not OWNER/NAME (e.g. octo-org/shop).")
    if pr < 1:
        raise UserInputError(f"--pr {pr} is not a pull request number.")
    if not KEY_RE.fullmatch(key):
        raise UserInputError(
            f"--key {key!r} is not valid: use up to 64 letters, digits, '.', '_' or '-'."
        )
    key_marker = marker(key)
    full_body = f"{key_marker}\n{body.rstrip()}\n"
    if len(full_body) > COMMENT_LIMIT:
        raise UserInputError(
            f"The comment is {len(full_body):,} characters, over GitHub's {COMMENT_LIMIT:,}: "
            "shorten the body file (`deployer plan --summary-md` output always fits)."
        )
    login, is_bot = client.identity(author)
    comments_url = f"/repos/{repo}/issues/{pr}/comments"
    existing = next(
        (
            c
            for c in client.paginate(comments_url, params={"per_page": 100})
            if _is_ours(c, key_marker, login, is_bot)
        ),
        None,
    )
    if existing is None:
        created = _comment_json(client.request("POST", comments_url, json={"body": full_body}))
        return CommentResult("created", int(created["id"]), created.get("html_url", ""), login)
    if existing.get("body") == full_body:
        return CommentResult("unchanged", int(existing["id"]), existing.get("html_url", ""), login)
    updated = _comment_json(
        client.request(
            "PATCH", f"/repos/{repo}/issues/comments/{existing['id']}", json={"body": full_body}
        )
    )
    return CommentResult("updated", int(updated["id"]), updated.get("html_url", ""), login)

"""`deployer github comment`: the sticky pull-request comment for CI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deployer.cli.options import JsonOption
from deployer.cli.output import print_json

github_app = typer.Typer(
    help="GitHub integration for CI: the sticky plan comment on pull requests.",
    no_args_is_help=True,
)


@github_app.command()
def comment(
    repo: Annotated[str, typer.Option("--repo", help="The repository, OWNER/NAME.")],
    pr: Annotated[int, typer.Option("--pr", min=1, help="The pull request number.")],
    body_file: Annotated[Path, typer.Option("--body-file", help="The markdown to post.")],
    key: Annotated[
        str, typer.Option("--key", help="Which sticky comment: one per key on a pull request.")
    ] = "plan",
    author: Annotated[
        str,
        typer.Option(
            "--author",
            help="Login whose comments may be edited when GET /user cannot tell (a GitHub "
            "App's `name\\[bot]`). Default: the token's identity, or github-actions\\[bot].",
        ),
    ] = "",
    json_out: JsonOption = False,
) -> None:
    """Create or update this tool's comment on a pull request (token from GITHUB_TOKEN).

    Found again by a hidden marker, among the token identity's own comments only: anyone
    else's comment is never edited. Also appended to $GITHUB_STEP_SUMMARY when set.
    """
    from deployer.review import (
        append_step_summary,
        client_from_environment,
        post_sticky_comment,
        read_body,
    )

    body = read_body(body_file)
    client = client_from_environment()
    # The step summary first: it still shows the plan when GitHub refuses the comment.
    append_step_summary(body)
    result = post_sticky_comment(client, repo, pr, body, key=key, author=author or None)
    if json_out:
        print_json(result.as_dict())
    else:
        typer.echo(f"{result.action} comment {result.url or result.comment_id}")

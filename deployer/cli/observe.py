"""`deployer smoke ENV` and `deployer logs ENV FUNCTION`: a deployed environment seen from
outside (docs/operating.md)."""

from __future__ import annotations

import json
import signal
import sys
from typing import Annotated

import typer
from rich.markup import escape

from deployer.cli.options import EnvArgument, JsonOption
from deployer.cli.output import console, err_console, print_json

TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        min=0.1,
        help="Retry each check this long (default: the smoke timeout of pyproject.toml, 60 s).",
    ),
]
FunctionArgument = Annotated[str, typer.Argument(help="The function (its lambda_src/ folder).")]
SinceOption = Annotated[
    str,
    typer.Option("--since", metavar="DURATION", help="Start this long ago: 30s, 10m, 2h, 1d."),
]
FollowOption = Annotated[
    bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")
]
FilterOption = Annotated[
    str | None,
    typer.Option(
        "--filter",
        metavar="TEXT",
        help='A CloudWatch filter pattern ({ $.level = "ERROR" }, "two words", ?a ?b), or '
        "plain text matched as one exact phrase.",
    ),
]

LEVEL_STYLES = {
    "DEBUG": "dim",
    "INFO": "green",
    "WARNING": "yellow",
    "ERROR": "red",
    "CRITICAL": "bold red",
    "FATAL": "bold red",
}


def smoke(env: EnvArgument, timeout: TimeoutOption = None, json_out: JsonOption = False) -> None:
    """Call the deployed API's health route and the smoke checks of pyproject.toml, each
    retried until it answers as expected or its time is up; exit 1 naming what failed."""
    from deployer.cli.stacks import open_stack
    from deployer.observe import SmokeReport, require_served, run_smoke

    stack = open_stack(env, json_out=json_out)
    require_served(stack.project, stack.name)
    api_url = stack.outputs().get("api_url") or ""
    tokens: dict[tuple[str, ...], str] = {}

    def local_tokens(scopes) -> str:
        from deployer.devloop import local_token

        key = tuple(scopes)
        if key not in tokens:
            tokens[key] = local_token(stack.project, stack.name, scopes=key)
        return tokens[key]

    results = []
    for result in run_smoke(
        stack.project, stack.name, api_url, timeout=timeout, local_tokens=local_tokens
    ):
        results.append(result)
        if not json_out:
            _print_result(result)
    report = SmokeReport(stack.name, api_url, tuple(results))
    if json_out:
        print_json(report.as_dict())
    elif report.ok:
        skipped = sum(1 for r in results if r.skipped)
        console.print(
            f"[green]{escape(stack.name)} passed {len(results) - skipped} smoke check(s)[/]"
            f"{f', {skipped} skipped' if skipped else ''} ({escape(api_url)})",
            emoji=False,
            highlight=False,
        )
    if not report.ok:
        raise report.error()


def _print_result(result) -> None:  # a CheckResult
    check = result.check
    request = f"{check.method} {check.path}"
    named = f"{check.name}: " if check.name else ""
    if result.skipped:
        line = f"[yellow]skipped[/] {escape(named + request)}: {escape(result.skipped)}"
    elif result.ok:
        line = (
            f"[green]ok[/]      {escape(named + request)} {result.status} "
            f"({result.attempts} attempt(s), {result.seconds:.1f} s)"
        )
    else:
        line = f"[red]FAILED[/]  {escape(result.describe())}"
    console.print(line, emoji=False, highlight=False, soft_wrap=True)


def logs(
    env: EnvArgument,
    function: FunctionArgument,
    since: SinceOption = "10m",
    follow: FollowOption = False,
    filter_text: FilterOption = None,
    json_out: JsonOption = False,
) -> None:
    """Print a function's log events (time, log stream, message; powertools' JSON lines
    made readable), from --since ago; --follow keeps printing until Ctrl-C (exit 0)."""
    from deployer.config import find_project
    from deployer.observe import NoLogGroup, filter_pattern, open_tail, parse_since
    from deployer.observe import follow as follow_tail

    seconds = parse_since(since)
    tail = open_tail(
        find_project(), env, function, since_seconds=seconds, pattern=filter_pattern(filter_text)
    )
    printed = 0
    try:
        for event in tail.poll():
            _print_event(event, json_out)
            printed += 1
    except NoLogGroup:
        err_console.print(
            f"{escape(function)} has not logged yet on {escape(env)} (no log group "
            f"{escape(tail.group)}).",
            emoji=False,
            highlight=False,
        )
        if not follow:
            return
    if not follow:
        if not printed:
            err_console.print(
                f"No log events of {escape(function)} in the last {escape(since)}"
                f"{' matching the filter' if filter_text else ''}.",
                emoji=False,
                highlight=False,
            )
        return

    def stop_following(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop_following)  # as Ctrl-C: stop following
    try:
        for event in follow_tail(tail):
            _print_event(event, json_out)
    except KeyboardInterrupt:
        err_console.print("stopped following.", emoji=False, highlight=False)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_event(event, json_out: bool) -> None:  # a LogEvent
    if json_out:  # one object a line, so `| jq` works while following
        sys.stdout.write(json.dumps(event.as_dict(), sort_keys=True) + "\n")
        sys.stdout.flush()
        return
    from deployer.observe import local_time, render, short_stream

    shown = render(event.message)
    level = ""
    if shown.level:
        style = LEVEL_STYLES.get(shown.level, "bold")
        level = f"[{style}]{escape(shown.level)}[/] "
    console.print(
        f"[dim]{local_time(event.timestamp)}[/] [cyan]{escape(short_stream(event.stream))}[/] "
        f"{level}{escape(shown.text)}",
        emoji=False,
        highlight=False,
        soft_wrap=True,
    )
    for more in shown.more:
        console.print(f"    {escape(more)}", emoji=False, highlight=False, soft_wrap=True)

"""Progress of a build on stderr: a rich bar on a terminal, plain lines in CI and logs."""

from __future__ import annotations

import os
import sys
import threading
from contextlib import AbstractContextManager

MB = 1024 * 1024


def _want_bar() -> bool:
    # CI runners often allocate a pseudo-terminal; their logs still want plain lines.
    return sys.stderr.isatty() and not os.environ.get("CI")


class Reporter(AbstractContextManager):
    """Plain lines, one per event, safe to call from the build threads."""

    def __init__(self, total: int, up_to_date: int) -> None:
        self.total = total
        self.up_to_date = up_to_date
        self.done = 0
        self._lock = threading.Lock()

    def __enter__(self) -> Reporter:
        extra = f" ({self.up_to_date} up to date)" if self.up_to_date else ""
        self.note(f"packaging {self.total} function{'s' if self.total != 1 else ''}{extra}")
        return self

    def __exit__(self, *exc) -> None:
        return None

    def note(self, text: str) -> None:
        with self._lock:
            print(text, file=sys.stderr, flush=True)

    def built(self, name: str, size: int, seconds: float) -> None:
        with self._lock:
            self.done += 1
            done = self.done
        self.note(f"[{done}/{self.total}] built {name}: {size / MB:.2f} MB in {seconds:.2f} s")


class BarReporter(Reporter):
    """A rich progress bar; notes are printed above it."""

    def __enter__(self) -> BarReporter:
        # Imported here: plain-line runs (CI, --json) never pay for rich.progress.
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]packaging[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task("", total=self.total)
        if self.up_to_date:
            self.note(f"{self.up_to_date} function(s) up to date")
        return self

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)

    def note(self, text: str) -> None:
        self._progress.console.print(text, markup=False, highlight=False)

    def built(self, name: str, size: int, seconds: float) -> None:
        self._progress.update(self._task, advance=1, description=f"{name} ({size / MB:.2f} MB)")


def make_reporter(progress: bool | None, total: int, up_to_date: int) -> Reporter:
    """A bar when `progress` is True (or None on a terminal), plain lines otherwise."""
    use_bar = _want_bar() if progress is None else progress
    return (BarReporter if use_bar else Reporter)(total, up_to_date)

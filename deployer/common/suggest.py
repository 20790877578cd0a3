"""Did-you-mean hints: the one rule for which known name a mistyped one stands for."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(value: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The choice `value` most looks like a typo of, or None when none is close.

    Close: difflib's similarity ratio of at least `cutoff`, or the same letters in
    another case (which the ratio misses for short names such as "A" and "a").
    """
    choices = list(choices)
    close = difflib.get_close_matches(value, choices, n=1, cutoff=cutoff)
    if close:
        return close[0]
    return next((c for c in choices if c.lower() == value.lower()), None)


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """` (did you mean "x"?)` when `value` looks like a typo of one of `choices`, else ``.

    Meant to follow the sentence part that names `value`:
    f"No function named {name!r}{did_you_mean(name, names)}; functions: ...".
    """
    match = closest(value, choices)
    return f' (did you mean "{match}"?)' if match is not None else ""

"""Writing a file so that readers see the old content or the new one, never half of either."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def _holds(path: Path, data: str | bytes) -> bool:
    """True when `path` already holds exactly `data` (text compared as UTF-8 text)."""
    try:
        current = path.read_text(encoding="utf-8") if isinstance(data, str) else path.read_bytes()
    except (OSError, UnicodeDecodeError):
        return False
    return current == data


def atomic_write(
    path: Path, data: str | bytes, *, only_if_changed: bool = False, private: bool = False
) -> bool:
    """Write `data` (text as UTF-8) to `path` atomically; True when the file was written.

    The data goes to a temporary file next to `path` (a name of its own per process and
    thread, so concurrent writers never share one), is flushed to disk, then replaces
    `path` in one rename; on any failure the temporary file is removed and `path` is as it
    was. `only_if_changed`: a file that already holds `data` is left alone, mtime included
    (what build steps keyed on mtimes need). `private`: readable by its owner only
    (0600) from the first byte, for keys. Missing parent folders are created.
    """
    path = Path(path)
    if only_if_changed and _holds(path, data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # open() (unlike mkstemp) honours the umask, so the file gets the user's usual mode.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    mode, encoding = ("w", "utf-8") if isinstance(data, str) else ("wb", None)
    try:
        if private:
            tmp.unlink(missing_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            opened = os.fdopen(fd, mode, encoding=encoding)
        else:
            opened = open(tmp, mode, encoding=encoding)  # noqa: SIM115 - closed just below
        with opened as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True

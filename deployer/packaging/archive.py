"""The installed dependencies' files, and writing a Lambda zip byte-for-byte reproducibly.

Which of a function's own files go in is `selection.py`'s business.

The bytes of a zip depend only on the files' paths and contents: entries are sorted, every
timestamp is 1980-01-01 00:00, permissions are 0644 (0755 for scripts and binaries, decided
by content so the checkout's mode bits, umask and file system do not matter), and the
compression level is fixed.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path

from deployer.common import UserInputError

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
COMPRESSION_LEVEL = 6
UNIX = 3  # ZipInfo.create_system; the host's default would make the bytes host-dependent
SKIPPED_DIRS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# pip writes console scripts whose first line is the host's python: useless on Lambda and
# different on every machine.
DEPENDENCY_SKIPPED_TOP = frozenset({"bin"})


def file_mode(data: bytes) -> int:
    """0755 for a script (`#!`) or an ELF binary, 0644 for everything else."""
    return 0o755 if data.startswith((b"#!", b"\x7fELF")) else 0o644


def dependency_entries(root: Path) -> dict[str, Path]:
    """The files pip installed into `root`, by archive path (no console scripts or caches)."""
    entries: dict[str, Path] = {}
    seen_dirs: set[tuple[int, int]] = set()
    for current, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(current)
        info = here.stat()
        if (info.st_dev, info.st_ino) in seen_dirs:  # a symlink loop
            dirnames[:] = []
            continue
        seen_dirs.add((info.st_dev, info.st_ino))
        at_top = here == root
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in SKIPPED_DIRS
            and not (at_top and d in DEPENDENCY_SKIPPED_TOP)
        )
        for name in filenames:
            if name.startswith(".") or name.endswith(SKIPPED_SUFFIXES):
                continue
            if at_top and name in DEPENDENCY_SKIPPED_TOP:
                continue
            path = here / name
            if not path.is_file():
                raise UserInputError(
                    f"{path}: is not a regular file (a broken symlink?); remove it or make it "
                    "point at a file."
                )
            entries[path.relative_to(root).as_posix()] = path
    return entries


def write_zip(dest: Path, entries: Iterable[tuple[str, Path]]) -> None:
    """Write `entries` (archive path, file) to `dest`, sorted, with fixed metadata."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for arcname, path in sorted(entries):
            data = path.read_bytes()
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE_TIME)
            info.create_system = UNIX
            info.external_attr = (stat.S_IFREG | file_mode(data)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=COMPRESSION_LEVEL)

"""A function's deployment package, unpacked for workers: its own code apart from the
third-party packages built into it.

Packages are built for Lambda's platform (`manylinux2014_<arch>`), whose compiled wheels
cannot load on every host. So, as `deployer invoke` does, a worker imports the function's
own modules first, then the packages of the Python running the deployer, then the ones
built into the zip. What belongs to a third-party distribution is read from the
`*.dist-info` folders in the zip (their `RECORD`).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

CODE_DIR = "code"
DEPS_DIR = "deps"


def unpack_package(zip_bytes: bytes, target: Path) -> tuple[Path, Path]:
    """Unpack once into `target/code` and `target/deps` (atomic; reused when present)."""
    code, deps = target / CODE_DIR, target / DEPS_DIR
    if code.is_dir() and deps.is_dir():
        return code, deps
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            third_party = _third_party_tops(archive)
            for info in archive.infolist():
                path = PurePosixPath(info.filename)
                if info.is_dir() or path.is_absolute() or ".." in path.parts:
                    continue
                top = path.parts[0]
                side = DEPS_DIR if top in third_party or _is_metadata(top) else CODE_DIR
                destination = staging / side / Path(*path.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out)
                mode = (info.external_attr >> 16) & 0o777
                if mode:
                    os.chmod(destination, mode | 0o600)
        (staging / CODE_DIR).mkdir(exist_ok=True)
        (staging / DEPS_DIR).mkdir(exist_ok=True)
        try:
            os.replace(staging, target)
        except OSError:  # another thread unpacked it first
            if not (code.is_dir() and deps.is_dir()):
                raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
    return code, deps


def _is_metadata(top: str) -> bool:
    return top.endswith((".dist-info", ".egg-info", ".data", ".libs")) or top == "bin"


def _third_party_tops(archive: zipfile.ZipFile) -> set[str]:
    """Top-level names that some distribution's RECORD lists."""
    tops: set[str] = set()
    for name in archive.namelist():
        parts = PurePosixPath(name).parts
        if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "RECORD":
            for line in archive.read(name).decode("utf-8", errors="replace").splitlines():
                entry = line.split(",", 1)[0]
                entry_parts = PurePosixPath(entry).parts
                if entry_parts and entry_parts[0] not in ("..", "/"):
                    tops.add(entry_parts[0])
    return tops

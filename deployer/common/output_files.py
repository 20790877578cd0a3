"""Where a streamed child writes its output: files the deployer follows, never pipes.

A child writing into a pipe dies with its reader: when the deployer is killed (`kill -9`,
a closed terminal, an out-of-memory kill), the next write gets SIGPIPE and Terraform stops
mid-apply without saving state or releasing its lock, leaving resources it created that
no state knows. Written to files instead, Terraform finishes on its own: it saves state and
frees the lock, and the next command converges. The deployer follows the files as they
grow, line by line, exactly as it read the pipes; they are removed once the run ends (after
a kill they stay, with Terraform's whole output).
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

# How long a follower sleeps when the file has nothing new.
_IDLE_SECONDS = 0.05
_CHUNK = 1 << 16


@contextlib.contextmanager
def output_files(folder: Path | None) -> Iterator[tuple[BinaryIO, BinaryIO, Path, Path]]:
    """Two new files (stdout, stderr) open for the child to write, private to the user, in
    `folder` (a temporary folder when None); removed on the way out."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=folder))
    paths = (run_dir / "stdout.log", run_dir / "stderr.log")
    handles = []
    try:
        for path in paths:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            handles.append(os.fdopen(fd, "wb", buffering=0))
        yield handles[0], handles[1], paths[0], paths[1]
    finally:
        for handle in handles:
            with contextlib.suppress(OSError):
                handle.close()
        shutil.rmtree(run_dir, ignore_errors=True)


def follow(
    path: Path,
    channel: str,
    out: queue.Queue,
    exited: Callable[[], bool],
    decode: Callable[[bytes], str],
) -> None:
    """Put each line of `path` on `out` as it is written, as `(channel, line)`, until the
    child has `exited` and the file holds nothing more; then `(channel, None)`."""
    try:
        with open(path, "rb") as reader:
            partial = b""
            while True:
                chunk = reader.read(_CHUNK)
                if not chunk:
                    if exited():
                        chunk = reader.read()  # what it wrote just before it exited
                        if not chunk:
                            break
                    else:
                        time.sleep(_IDLE_SECONDS)
                        continue
                partial += chunk
                *lines, partial = partial.split(b"\n")
                for raw in lines:
                    out.put((channel, decode(raw)))
            if partial:
                out.put((channel, decode(partial)))
    except OSError:
        pass  # the file went away under us: nothing more to read
    finally:
        out.put((channel, None))

"""atomic_write: the one atomic file write (deployer.common.files)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from deployer.common import atomic_write

OLD_NS = 1_000_000_000 * 1_000_000_000  # an mtime far in the past (2001), easy to spot


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_text_and_bytes_creating_the_folder(tmp_path: Path) -> None:
    text_file = tmp_path / "new" / "deeper" / "a.json"
    assert atomic_write(text_file, '{\n  "é": 1\n}\n') is True
    assert text_file.read_bytes() == '{\n  "é": 1\n}\n'.encode()
    blob = tmp_path / "b.bin"
    assert atomic_write(blob, b"\x00\xffraw") is True
    assert blob.read_bytes() == b"\x00\xffraw"
    assert _leftovers(tmp_path) == [] and _leftovers(text_file.parent) == []


def test_only_if_changed_leaves_an_unchanged_file_and_its_mtime_alone(tmp_path: Path) -> None:
    target = tmp_path / "generated.tfvars.json"
    target.write_text("same\n", encoding="utf-8")
    os.utime(target, ns=(OLD_NS, OLD_NS))
    inode = target.stat().st_ino

    assert atomic_write(target, "same\n", only_if_changed=True) is False
    assert target.stat().st_mtime_ns == OLD_NS and target.stat().st_ino == inode
    assert atomic_write(target, b"same\n", only_if_changed=True) is False
    assert target.stat().st_mtime_ns == OLD_NS

    assert atomic_write(target, "changed\n", only_if_changed=True) is True
    assert target.read_text(encoding="utf-8") == "changed\n"
    assert target.stat().st_mtime_ns != OLD_NS


def test_without_only_if_changed_the_same_content_is_written_again(tmp_path: Path) -> None:
    target = tmp_path / "server.json"
    target.write_text("{}\n", encoding="utf-8")
    os.utime(target, ns=(OLD_NS, OLD_NS))
    assert atomic_write(target, "{}\n") is True
    assert target.stat().st_mtime_ns != OLD_NS


def test_the_file_is_replaced_not_rewritten_in_place(tmp_path: Path) -> None:
    """A reader holding the old file keeps reading the old content: a rename, not a
    truncate-and-write."""
    target = tmp_path / "manifest.json"
    target.write_text("old content\n", encoding="utf-8")
    with target.open(encoding="utf-8") as reader:
        atomic_write(target, "new content\n")
        assert reader.read() == "old content\n"
    assert target.read_text(encoding="utf-8") == "new content\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "README.md"
    target.write_text("the old README\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(target, "half written \ud800 then it fails")  # a lone surrogate
    assert target.read_text(encoding="utf-8") == "the old README\n"
    assert _leftovers(tmp_path) == []


def test_the_new_file_gets_the_usual_mode_of_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        target = tmp_path / "terraformrc"
        atomic_write(target, "x\n")
    finally:
        os.umask(previous)
    assert target.stat().st_mode & 0o777 == 0o640


def test_writers_in_many_threads_never_share_a_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "terraformrc"
    contents = [f"writer {n}\n" * 2000 for n in range(8)]
    barrier = threading.Barrier(len(contents))
    errors: list[BaseException] = []

    def write(text: str) -> None:
        barrier.wait()
        try:
            for _ in range(20):
                atomic_write(target, text)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(text,)) for text in contents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert target.read_text(encoding="utf-8") in contents  # one writer's whole content
    assert _leftovers(tmp_path) == []

"""Third-party dependencies for the Lambda platform, installed once per (requirements, runtime,
architecture) and shared by every function that asks for the same set.

pip installs for the function's runtime and architecture, not the host's, so a python3.12
arm64 function builds on any host. An installed set is immutable: it appears in the cache
by an atomic rename, under a per-key lock, so concurrent builds never see half of one.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from deployer.common import Completed, ProcessError, UserInputError, run_captured
from deployer.packaging.archive import dependency_entries

try:
    import fcntl
except ImportError:  # Windows: rely on the atomic rename alone
    fcntl = None

CACHE_DIR_ENV = "DEPLOYER_CACHE_DIR"
CACHE_FORMAT = "1"  # bump when the layout of an installed set changes
REQUIREMENTS = "requirements.txt"
PIP_ARCH = {"arm64": "aarch64", "x86_64": "x86_64"}
# The glibc of each runtime's Amazon Linux: python3.11 runs on AL2 (2.26), 3.12+ on AL2023 (2.34).
LAMBDA_GLIBC_MINOR = {"python3.11": 26, "python3.12": 34, "python3.13": 34}
# Options that pull in other files, whose content the cache key would not see.
UNSUPPORTED_OPTIONS = ("-r", "--requirement", "-c", "--constraint", "-e", "--editable")


@dataclass(frozen=True)
class Requirements:
    """The requirements files one function installs from (`_shared/`'s first), and their text."""

    files: tuple[Path, ...]
    text: str


def read_requirements(files: list[Path], root: Path) -> Requirements | None:
    """The existing files among `files`, checked; None when there is nothing to install."""
    present = [f for f in files if f.is_file()]
    texts = []
    for path in present:
        rel = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UserInputError(f"{rel}: is not UTF-8 text; save it as UTF-8.") from None
        for number, line in enumerate(text.splitlines(), start=1):
            option = line.strip().split(maxsplit=1)[0] if line.strip() else ""
            if option.split("=")[0] in UNSUPPORTED_OPTIONS:
                raise UserInputError(
                    f"{rel}: line {number} ({line.strip()!r}) refers to another file, which the "
                    "dependency cache cannot see; list the requirements directly "
                    f"(lambda_src/_shared/{REQUIREMENTS} is added to every function already)."
                )
        texts.append(f"# {rel}\n{text}")
    meaningful = [
        line
        for text in texts
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if not meaningful:
        return None
    return Requirements(files=tuple(present), text="\n".join(texts))


def _normalised(text: str) -> str:
    # Comments and blank lines do not change what pip installs.
    lines = (line.split(" #")[0].strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("#"))


def dependency_key(requirements: Requirements, runtime: str, architecture: str) -> str:
    """The cache entry name for these requirements on this runtime and architecture."""
    digest = hashlib.sha256(
        f"{CACHE_FORMAT}\n{runtime}\n{architecture}\n{_normalised(requirements.text)}".encode()
    ).hexdigest()
    return f"{runtime}-{architecture}-{digest[:24]}"


def platform_tags(runtime: str, architecture: str) -> list[str]:
    """pip `--platform` values for a runtime: manylinux2014 and every newer glibc it has."""
    arch = PIP_ARCH[architecture]
    newest = LAMBDA_GLIBC_MINOR[runtime]
    return [f"manylinux2014_{arch}"] + [
        f"manylinux_2_{minor}_{arch}" for minor in range(newest, 16, -1)
    ]


def pip_command(target: Path, requirements: Requirements, runtime: str, architecture: str):
    """The pip invocation, with the running Python's pip, for the Lambda platform."""
    command = [sys.executable, "-m", "pip", "install", "--target", str(target)]
    for tag in platform_tags(runtime, architecture):
        command += ["--platform", tag]
    command += [
        "--implementation",
        "cp",
        "--python-version",
        runtime.removeprefix("python"),
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
    ]
    for path in requirements.files:
        command += ["-r", str(path)]
    return command


def run_pip(command: list[str]) -> Completed:
    """Run pip, capturing its output: the one seam between the cache and pip (tests replace it)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PIP_NO_INPUT="1")
    return run_captured(command, env=env)


_REQUIREMENT_PATTERNS = (
    re.compile(r"No matching distribution found for (\S+)"),
    re.compile(r"satisfies the requirement (\S+)"),
    re.compile(r"Invalid requirement: '([^']+)'"),
    re.compile(r"Cannot install (.+?) because"),
)


def describe_pip_failure(output: str) -> tuple[str | None, str]:
    """(the requirement pip choked on, if it says; pip's own error lines, condensed)."""
    errors = [line.strip() for line in output.splitlines() if line.startswith("ERROR:")]
    detail = " ".join(errors[-2:]) if errors else (output.strip().splitlines() or ["no output"])[-1]
    for pattern in _REQUIREMENT_PATTERNS:
        match = pattern.search(output)
        if match:
            return match.group(1), detail
    return None, detail


def _strip_host_specific(target: Path) -> None:
    # Console scripts carry the host's python path, and RECORD lists them with their hashes.
    shutil.rmtree(target / "bin", ignore_errors=True)
    for record in target.glob("*.dist-info/RECORD"):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        record.write_text("".join(x for x in lines if not x.startswith("../")), encoding="utf-8")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock across processes (a second `deployer package` running at once)."""
    if fcntl is None:
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def default_cache_root() -> Path:
    """`$DEPLOYER_CACHE_DIR/deps`, else `deps` in the platform's per-user cache folder (as
    pip's: `~/.cache/deployer` on Linux, honouring XDG_CACHE_HOME; `~/Library/Caches/deployer`
    on macOS), shared by every clone on the machine: sets are keyed by what they hold and
    appear atomically under a file lock, so concurrent builds of any clones are safe."""
    base = os.environ.get(CACHE_DIR_ENV)
    return (Path(base) if base else Path(user_cache_dir("deployer", appauthor=False))) / "deps"


class DependencyCache:
    """Installed dependency sets under one folder, each installed at most once."""

    def __init__(self, root: Path, log: Callable[[str], None] = lambda _: None) -> None:
        self.root = root
        self.log = log
        self._guard = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._listings: dict[str, dict[str, Path]] = {}

    def _key_lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._key_locks.setdefault(key, threading.Lock())

    def ensure(
        self,
        key: str,
        requirements: Requirements,
        runtime: str,
        architecture: str,
        functions: list[str],
    ) -> Path:
        """The folder holding this set, installing it first if no build has done so yet."""
        final = self.root / key
        if final.is_dir():
            return final
        with self._key_lock(key):
            if final.is_dir():
                return final
            self.root.mkdir(parents=True, exist_ok=True)
            with _file_lock(self.root / f"{key}.lock"):
                if not final.is_dir():
                    self._install(final, requirements, runtime, architecture, functions)
        return final

    def _install(
        self,
        final: Path,
        requirements: Requirements,
        runtime: str,
        architecture: str,
        functions: list[str],
    ) -> None:
        more = len(functions) - 3
        users = ", ".join(functions[:3]) + (f" and {more} more" if more > 0 else "")
        self.log(f"installing dependencies for {runtime} {architecture} ({users})")
        started = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=self.root))
        try:
            command = pip_command(staging, requirements, runtime, architecture)
            result = run_pip(command)
            if result.returncode != 0:
                raise self._failure(command, result, requirements, runtime, architecture, users)
            _strip_host_specific(staging)
            os.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.log(
            f"installed dependencies for {runtime} {architecture} "
            f"in {time.perf_counter() - started:.1f} s"
        )

    @staticmethod
    def _failure(command, result, requirements, runtime, architecture, users) -> ProcessError:
        """What went wrong for the user first; pip's command, exit code and output after it."""
        output = f"{result.stdout}\n{result.stderr}"
        if "No module named pip" in output:
            summary = (
                f"{sys.executable} has no pip, which packaging needs to install requirements; "
                f"install it with `{sys.executable} -m ensurepip`"
            )
            return ProcessError(command, result.returncode, output, summary=summary)
        requirement, detail = describe_pip_failure(output)
        files = " + ".join(p.parent.name + "/" + p.name for p in requirements.files)
        what = f"the requirement {requirement!r}" if requirement else "the requirements"
        summary = (
            f"{users}: pip could not install {what} from {files} for {runtime} {architecture} "
            f"({detail}); check the name and version, and that the package publishes "
            f"manylinux {PIP_ARCH[architecture]} wheels for CPython "
            f"{runtime.removeprefix('python')} (source-only packages cannot be installed for "
            "another platform)"
        )
        return ProcessError(command, result.returncode, output, summary=summary)

    def entries(self, folder: Path) -> dict[str, Path]:
        """The archive paths of an installed set, listed once per run."""
        with self._guard:
            listing = self._listings.get(folder.name)
        if listing is None:
            listing = dependency_entries(folder)
            with self._guard:
                self._listings[folder.name] = listing
        return listing

"""Which files of a function folder (or of `lambda_src/_shared/`) go into its package.

Every file and folder under the root is judged by its path in the package, in this order:

1. build inputs and by-products never ship: `tests/`, `__pycache__/`, `*.pyc`/`*.pyo`, and
   `function.toml` and `requirements.txt` at the top;
2. the manifest's `exclude` patterns leave out more, silently;
3. the default exclusions leave out dot-files and dot-folders (silently) and what is almost
   never meant to ship (private keys, `.env` files, Terraform state, secrets files,
   virtualenvs), each with a warning; the manifest's `include` patterns re-admit them;
4. what is left must be a regular file or a folder inside the root. A symlink is followed
   when its target lies inside the root (its content is stored under the link's path, and
   the target's path is judged too); one that leaves the root, dangles, loops or leads back
   to a folder above it is an error, and so is a FIFO, a socket or a device.

Nothing here reads a file that is left out, so excluded files never touch the package hash.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from deployer.common import UserInputError
from deployer.packaging.archive import SKIPPED_DIRS, SKIPPED_SUFFIXES

NEVER_DIRS = SKIPPED_DIRS | {"tests"}
# Build inputs that sit next to the code but are not code.
SOURCE_METADATA = frozenset({"function.toml", "requirements.txt"})

_KEY = "looks like a private key"
_KEY_STORE = "looks like a key store"
_SSH_KEY = "looks like an SSH key"
_ENV_FILE = "looks like an environment file (secrets)"
_SECRETS = "looks like a secrets file"
_CREDENTIALS = "looks like a credentials file"
_VENV = "is a virtualenv"
# (file name pattern, why it stays out); matched case-insensitively against files only.
DEFAULT_FILE_EXCLUDES: tuple[tuple[str, str], ...] = (
    ("*.pem", "looks like a private key or certificate"),
    ("*.key", _KEY),
    ("*.ppk", _KEY),
    ("*.p12", _KEY_STORE),
    ("*.pfx", _KEY_STORE),
    ("*.jks", _KEY_STORE),
    ("*.keystore", _KEY_STORE),
    ("id_rsa*", _SSH_KEY),
    ("id_dsa*", _SSH_KEY),
    ("id_ecdsa*", _SSH_KEY),
    ("id_ed25519*", _SSH_KEY),
    (".env", _ENV_FILE),
    (".env.*", _ENV_FILE),
    ("*.tfstate*", "is Terraform state (it holds every resource's secrets)"),
    ("secrets.json", _SECRETS),
    ("secrets.yaml", _SECRETS),
    ("secrets.yml", _SECRETS),
    ("secrets.toml", _SECRETS),
    ("secrets.ini", _SECRETS),
    ("credentials", _CREDENTIALS),
    ("credentials.json", _CREDENTIALS),
    ("credentials.csv", _CREDENTIALS),
    ("*_accesskeys.csv", "looks like downloaded AWS access keys"),
    (".netrc", _CREDENTIALS),
    (".pgpass", "looks like a PostgreSQL password file"),
)
# (folder name pattern, why it stays out); matched case-insensitively against folders only.
DEFAULT_DIR_EXCLUDES: tuple[tuple[str, str], ...] = (
    ("venv", _VENV),
    (".venv", _VENV),
    (".ssh", "holds SSH keys"),
    (".aws", "holds AWS credentials"),
)
VENV_MARKER = "pyvenv.cfg"  # any folder holding one is a virtualenv, whatever its name
PRIVATE_KEY_RE = re.compile(rb"\A\s*-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
SNIFF_BYTES = 1024


def _translate(body: str) -> str:
    """A glob (`*`, `?`, `[...]`, `**`) as a regular expression; `/` separates path segments."""
    out: list[str] = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:[^/]*/)*")  # zero or more folders
            i += 3
            continue
        if body.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        char = body[i]
        end = body.find("]", i + 2) if char == "[" else -1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif end != -1:
            inner = body[i + 1 : end]
            negate = inner[0] in "!^"
            inner = "".join(c if c == "-" else re.escape(c) for c in inner[negate:])
            out.append(f"(?!/)[{'^' if negate else ''}{inner}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class Glob:
    """One `include`/`exclude` pattern, gitignore-style: without a `/` it matches a name at
    any depth, with one it matches the path from the package root; a trailing `/` matches
    folders only. A folder that matches covers everything under it."""

    text: str
    ignore_case: bool = False

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        flags = re.IGNORECASE if self.ignore_case else 0
        return re.compile(_translate(self.text.strip("/")), flags)

    @property
    def anchored(self) -> bool:
        return "/" in self.text.rstrip("/")

    def hit(self, parts: tuple[str, ...], is_dir: bool) -> bool:
        """Whether this exact path (not one of its folders) matches."""
        if self.text.endswith("/") and not is_dir:
            return False
        candidate = "/".join(parts) if self.anchored else parts[-1]
        return self._regex.fullmatch(candidate) is not None

    def covers(self, parts: tuple[str, ...], is_dir: bool) -> bool:
        """Whether this path or one of the folders above it matches."""
        return any(
            self.hit(parts[:depth], is_dir or depth < len(parts))
            for depth in range(1, len(parts) + 1)
        )


def glob_escape(path: str) -> str:
    """A pattern that matches exactly `path` (its glob characters taken literally)."""
    return re.sub(r"([*?\[])", r"[\1]", path)


_FILE_DEFAULTS = tuple((Glob(p, ignore_case=True), why) for p, why in DEFAULT_FILE_EXCLUDES)
_DIR_DEFAULTS = tuple((Glob(p, ignore_case=True), why) for p, why in DEFAULT_DIR_EXCLUDES)


@dataclass(frozen=True)
class Rules:
    """A function's `include` and `exclude` patterns (docs/functions.md)."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @cached_property
    def _include(self) -> tuple[Glob, ...]:
        return tuple(Glob(p) for p in self.include)

    @cached_property
    def _exclude(self) -> tuple[Glob, ...]:
        return tuple(Glob(p) for p in self.exclude)

    def included(self, parts: tuple[str, ...], is_dir: bool) -> bool:
        return any(g.covers(parts, is_dir) for g in self._include)

    def _verdict_here(self, parts: tuple[str, ...], is_dir: bool) -> Verdict | None:
        name = parts[-1]
        if (is_dir and name in NEVER_DIRS) or (not is_dir and name.endswith(SKIPPED_SUFFIXES)):
            return Verdict("is never packaged (tests and caches)", includable=False, warn=False)
        if len(parts) == 1 and not is_dir and name in SOURCE_METADATA:
            return Verdict("is a build input, not code", includable=False, warn=False)
        if any(g.hit(parts, is_dir) for g in self._exclude):
            return Verdict("is listed in exclude", includable=False, warn=False)
        for glob, why in _DIR_DEFAULTS if is_dir else _FILE_DEFAULTS:
            if glob.hit(parts, is_dir):
                return None if self.included(parts, is_dir) else Verdict(why)
        if name.startswith(".") and not self.included(parts, is_dir):
            return Verdict("is a dot-file", warn=False)
        return None

    def verdict(self, parts: tuple[str, ...], is_dir: bool) -> Verdict | None:
        """Why the path (or a folder above it) stays out of the package; None: it goes in."""
        for depth in range(1, len(parts) + 1):
            found = self._verdict_here(parts[:depth], is_dir or depth < len(parts))
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class Verdict:
    """Why a path stays out: `why` completes "it ...", `includable` says whether `include`
    can bring it back, `warn` whether leaving it out is worth a warning."""

    why: str
    includable: bool = True
    warn: bool = True


@dataclass(frozen=True)
class Excluded:
    """A file or folder a default rule left out of a package, worth a warning."""

    path: str  # relative to the project root
    why: str
    include: str | None  # the include pattern that would ship it (None: none can)


@dataclass
class Selection:
    """The files of one root that go into a package, and what was left out with a warning."""

    entries: dict[str, Path] = field(default_factory=dict)  # archive path -> file to read
    excluded: list[Excluded] = field(default_factory=list)


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _special_kind(mode: int) -> str:
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


class _Walk:
    """One walk of a root; raises `UserInputError` on the first file it cannot package."""

    def __init__(self, root: Path, rules: Rules, project_root: Path) -> None:
        self.root = root
        self.rules = rules
        self.project_root = project_root
        self.selection = Selection()
        if root.is_symlink() or not root.is_dir():
            what = f"a symlink to {os.readlink(root)}" if root.is_symlink() else "not a folder"
            raise UserInputError(
                f"{self._rel(root)}: is {what}; make it a real folder under lambda_src/ "
                "(a package holds only what its folder holds)."
            )
        self.real_root = root.resolve(strict=True)

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.project_root).as_posix()

    def _fail(self, path: Path, problem: str) -> UserInputError:
        return UserInputError(f"{self._rel(path)}: {problem}")

    def _leave_out(self, path: Path, verdict: Verdict, include: tuple[str, ...]) -> None:
        if verdict.warn:
            hint = glob_escape("/".join(include)) if verdict.includable else None
            self.selection.excluded.append(Excluded(self._rel(path), verdict.why, hint))

    def run(self) -> Selection:
        self._visit(self.root, self.real_root, (), frozenset({self.real_root}))
        return self.selection

    def _visit(self, here: Path, real_here: Path, parts: tuple, above: frozenset) -> None:
        try:
            names = sorted(os.listdir(real_here))
        except OSError as exc:
            raise self._fail(
                here, f"cannot be read ({exc.strerror}); fix its permissions."
            ) from None
        for name in names:
            self._entry(here / name, real_here / name, (*parts, name), above)

    def _entry(self, path: Path, real: Path, parts: tuple, above: frozenset) -> None:
        info = os.lstat(real)
        link = stat.S_ISLNK(info.st_mode)
        broken = None
        if link:
            try:
                info = os.stat(real)
            except OSError as exc:
                broken = exc
        is_dir = stat.S_ISDIR(info.st_mode)
        verdict = self.rules.verdict(parts, is_dir)
        if verdict is not None:  # left out: a dangling `.#handler.py` (an editor lock) is fine
            return self._leave_out(path, verdict, parts)
        if broken is not None:
            target = os.readlink(real)
            if broken.errno == errno.ELOOP:
                raise self._fail(path, f"is a symlink loop ({target}); remove the link.")
            raise self._fail(
                path, f"is a broken symlink (to {target}); remove it or point it at a file."
            )
        if link:
            real = self._follow(path, real, is_dir, above)
            if real is None:
                return
        if is_dir:
            if (real / VENV_MARKER).exists() and not self.rules.included(parts, True):
                return self._leave_out(
                    path, Verdict(f"is a virtualenv (it holds {VENV_MARKER})"), parts
                )
            return self._visit(path, real, parts, above | {real})
        if not stat.S_ISREG(info.st_mode):
            raise self._fail(
                path,
                f"is {_special_kind(info.st_mode)}, not a regular file; a package holds only "
                "files and folders, so remove it (or list it in exclude in function.toml).",
            )
        if self._is_private_key(path, real) and not self.rules.included(parts, False):
            return self._leave_out(path, Verdict("holds a private key (PEM)"), parts)
        self.selection.entries["/".join(parts)] = real

    def _follow(self, path: Path, real: Path, is_dir: bool, above: frozenset) -> Path | None:
        """The resolved target of a link inside the root; None when the rules leave it out."""
        target = os.readlink(real)
        resolved = Path(os.path.realpath(real))
        if not resolved.is_relative_to(self.real_root):
            shown = target if os.path.isabs(target) else f"{target}, that is {resolved}"
            raise self._fail(
                path,
                f"is a symlink to {shown}, outside {self._rel(self.root)}/; a package holds "
                "only its folder's own files, so copy what it points at into the folder (or "
                "remove the link).",
            )
        if is_dir and resolved in above:
            raise self._fail(
                path,
                f"is a symlink to {target}, a folder that holds the link itself, so the "
                "package would never end; remove the link.",
            )
        target_parts = resolved.relative_to(self.real_root).parts
        verdict = self.rules.verdict(target_parts, is_dir)
        if verdict is None:
            return resolved
        shown = "/".join(target_parts)
        why = f"links to {shown}, which {verdict.why}"
        self._leave_out(path, Verdict(why, verdict.includable), target_parts)
        return None

    def _is_private_key(self, path: Path, real: Path) -> bool:
        # Non-blocking, and not through a link: the file was checked to be a regular one.
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError as exc:
            raise self._fail(
                path, f"cannot be read ({exc.strerror}); fix its permissions."
            ) from None
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise self._fail(path, "changed while it was being packaged; run again.")
            head = handle.read(SNIFF_BYTES)
        return PRIVATE_KEY_RE.match(head) is not None


def select_sources(root: Path, rules: Rules, project_root: Path) -> Selection:
    """The files of `root` (a function folder or `_shared/`) that go into a package."""
    return _Walk(root, rules, project_root).run()


def exclusion_warnings(found: list[tuple[Excluded, str, str]]) -> list[str]:
    """One line per left-out file: (what, function name, its manifest path) grouped by file."""
    by_path: dict[str, tuple[Excluded, list[str], list[str]]] = {}
    for excluded, name, manifest in found:
        _, names, manifests = by_path.setdefault(excluded.path, (excluded, [], []))
        names.append(name)
        manifests.append(manifest)
    lines = []
    for path, (excluded, names, manifests) in sorted(by_path.items()):
        if excluded.include is None:
            fix = "replace the link with a copy of the file to ship it"
        else:
            where = (
                manifests[0]
                if len(manifests) == 1
                else "the function.toml of each function that needs it"
            )
            fix = (
                f"to ship it, add include = [{json.dumps(excluded.include)}] to {where} "
                "(or list it in exclude there to silence this)"
            )
        into = f" (left out of {', '.join(sorted(names))})" if len(names) > 1 else ""
        lines.append(f"{path} is not packaged{into}: it {excluded.why}; {fix}.")
    return lines

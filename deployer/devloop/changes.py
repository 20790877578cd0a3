"""What a set of saved files means for `deployer dev`: which functions need only new code,
and whether Terraform must plan and apply.

- A file of a function (`lambda_src/<fn>/...`: its code, its requirements) is new code
  for that function only; `lambda_src/_shared/` is new code for every function (it is
  in every package).
- `function.toml` (routes, access, settings), a function folder that appears or goes,
  `terraform/`, `modules/` and the environment's tfvars are Terraform's: plan and apply.
- Tests, caches, editor files and the deployer's own `.deployer/` are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from deployer.functions import MANIFEST as MANIFEST_NAME
from deployer.functions import SHARED_DIR

IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git", "tests"}
IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swx", ".tmp", "~")


@dataclass
class Changes:
    """What to do about one batch of saved files."""

    code: dict[str, list[str]] = field(default_factory=dict)  # function -> changed files
    terraform: list[str] = field(default_factory=list)  # why Terraform must run

    @property
    def empty(self) -> bool:
        return not self.code and not self.terraform


def _ignored(parts: tuple[str, ...]) -> bool:
    name = parts[-1] if parts else ""
    return (
        not parts
        or any(p in IGNORED_PARTS for p in parts)
        or name.endswith(IGNORED_SUFFIXES)
        or name.startswith((".#", "#"))
        or parts[0] == ".deployer"
    )


def classify(
    root: Path, env: str, paths: Iterable[Path], functions: Iterable[str], *, lambda_dir: str
) -> Changes:
    """Sort changed `paths` (absolute) of the project at `root` into code and Terraform work."""
    known = set(functions)
    changes = Changes()
    for path in sorted(set(paths)):
        try:
            rel = PurePath(path).relative_to(root)
        except ValueError:
            continue
        parts = rel.parts
        if _ignored(parts):
            continue
        shown = rel.as_posix()
        if parts[0] in ("terraform", "modules") or shown == f"envs/{env}.tfvars":
            changes.terraform.append(shown)
            continue
        if parts[0] != lambda_dir or len(parts) < 2:
            continue
        folder = parts[1]
        if folder == SHARED_DIR:
            for name in sorted(known):
                changes.code.setdefault(name, []).append(shown)
        elif len(parts) == 2 or parts[2] == MANIFEST_NAME or folder not in known:
            # A manifest edited, a function folder made or removed: Terraform's job.
            if (Path(root) / lambda_dir / folder / MANIFEST_NAME).exists() or folder in known:
                changes.terraform.append(shown)
        else:
            changes.code.setdefault(folder, []).append(shown)
    if changes.terraform:
        changes.code.clear()  # the apply packages and deploys every function anyway
    return changes

"""Small deployer projects written into a tmp folder, for the manifest and packaging tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

HANDLER = "def handler(event, context):\n    return {'statusCode': 200}\n"


def write_project(
    root: Path,
    functions: dict[str, dict[str, str]],
    *,
    shared: dict[str, str] | None = None,
    app: str = "shop",
    envs: tuple[str, ...] = ("dev", "prod"),
) -> Path:
    """A project at `root`: {folder: {relative path: text}} under lambda_src/, plus _shared/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n\n[tool.deployer]\napp = "{app}"\n', encoding="utf-8"
    )
    (root / "envs").mkdir(exist_ok=True)
    for env in envs:
        (root / "envs" / f"{env}.tfvars").write_text("", encoding="utf-8")
    for folder, files in functions.items():
        write_files(root / "lambda_src" / folder, files)
    if shared is not None:
        write_files(root / "lambda_src" / "_shared", shared)
    return root


def write_files(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def simple_function(manifest: str = "", **extra: str) -> dict[str, str]:
    """A function folder: a manifest (defaults unless given) and `handler.py`."""
    return {"function.toml": manifest, "handler.py": HANDLER, **extra}


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and mtime: proof that nothing was touched."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def terraform_filebase64sha256(path: Path, env: dict[str, str], workdir: Path) -> str:
    """What Terraform itself computes for `path` (`terraform console`, no provider needed)."""
    workdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["terraform", "console"],
        input=f'filebase64sha256("{path.as_posix()}")\n',
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().strip('"')

"""The frontend's build and its zip: what `deployer publish` uploads.

The build command (if `[tool.deployer.frontend] build` names one) runs in the source
folder; then every file of `dist` goes into a reproducible zip (sorted entries, fixed
dates and modes, the same writer as the function packages), with the environment's
`config.json` added. The same files thus give the same bytes, and the zip's SHA-256 says
whether anything changed since the last deployment.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from deployer.common import ProcessError, UserInputError, atomic_write, run_streaming
from deployer.config import FrontendSettings, Project
from deployer.packaging import write_zip

# The file the app reads at start-up; written by publish, never taken from the build.
CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class Bundle:
    """The zip of one environment's site and its content hash."""

    path: Path
    sha256: str  # hex, of the zip's bytes
    files: int


def frontend_settings(project: Project) -> FrontendSettings:
    settings = project.settings.frontend
    if settings is None:
        raise UserInputError(
            f"{project.root / 'pyproject.toml'} has no [tool.deployer.frontend] table: add one "
            'naming the frontend\'s folder, e.g. source = "frontend" (docs/frontend.md).'
        )
    return settings


def run_build(
    project: Project, settings: FrontendSettings, stream: Callable[[str, str], None] | None
) -> None:
    """Run the configured build command in the source folder (a shell command)."""
    source = project.root / settings.source
    if not source.is_dir():
        raise UserInputError(
            f"[tool.deployer.frontend] source = {settings.source!r}: {source} is not a folder; "
            "create it or point source at the frontend's folder."
        )
    if settings.build is None:
        return
    argv = ["/bin/sh", "-c", settings.build]
    done = run_streaming(argv, cwd=source, env=dict(os.environ), stream=stream, notify=print)
    if done.returncode != 0:
        raise ProcessError(
            argv,
            done.returncode,
            done.stdout + done.stderr,
            summary=f"The frontend's build ([tool.deployer.frontend] build) failed in {source}",
        )


def site_files(project: Project, settings: FrontendSettings) -> dict[str, Path]:
    """The published files by their path in the site: every file of dist but dotfiles."""
    dist = project.root / settings.dist
    if not dist.is_dir():
        hint = "the build did not write it" if settings.build else "create it"
        raise UserInputError(
            f"[tool.deployer.frontend] dist = {settings.dist!r}: {dist} is not a folder "
            f"({hint}); point dist at the folder the site is published from."
        )
    files: dict[str, Path] = {}
    for here, dirs, names in os.walk(dist):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(here) / name
            if name.startswith(".") or not path.is_file():
                continue
            files[path.relative_to(dist).as_posix()] = path
    if "index.html" not in files:
        raise UserInputError(
            f"{dist} has no index.html: the site needs one at its root (is dist the folder "
            "the build writes?)."
        )
    return files


def config_document(outputs: Mapping[str, object], env_name: str) -> dict:
    """The environment's settings for the app, from the stack's outputs."""
    return {
        "environment": env_name,
        "apiUrl": outputs.get("api_url"),
        "region": outputs.get("region"),
    }


def make_bundle(
    project: Project,
    settings: FrontendSettings,
    config: Mapping[str, object],
    dest: Path,
) -> Bundle:
    """Zip the site with `config` as its config.json into `dest` (replaced atomically)."""
    files = site_files(project, settings)
    with tempfile.TemporaryDirectory(prefix="deployer-site-") as scratch:
        config_path = Path(scratch) / CONFIG_FILE
        config_path.write_text(json.dumps(dict(config), indent=2, sort_keys=True) + "\n")
        entries = {**files, CONFIG_FILE: config_path}
        staged = Path(scratch) / "site.zip"
        write_zip(staged, entries.items())
        data = staged.read_bytes()
    atomic_write(dest, data)
    return Bundle(dest, hashlib.sha256(data).hexdigest(), len(entries))

"""`[tool.deployer.frontend]`: where the frontend's files are and how they are built.

    [tool.deployer.frontend]
    source = "frontend"          # the frontend's folder (the build runs there)
    build = "npm ci && npm run build"   # optional: a shell command; none for plain files
    dist = "frontend/dist"       # optional: what is published (default: source)

All paths are relative to pyproject.toml and stay inside the project. Without the table
the project has no frontend to publish (`deployer publish` says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from deployer.common import UserInputError


@dataclass(frozen=True)
class FrontendSettings:
    """The frontend's source folder, its optional build command and the published folder."""

    source: str
    dist: str
    build: str | None = None


def _inside(value: object) -> bool:
    return (
        isinstance(value, str)
        and bool(value.strip())
        and not PurePath(value).is_absolute()
        and ".." not in PurePath(value).parts
    )


def load_frontend(where: str, raw: object) -> FrontendSettings | None:
    """Validate the table (None when the project has none); errors name the key and the fix."""
    if raw is None:
        return None
    where = f"{where}.frontend"
    if not isinstance(raw, dict):
        raise UserInputError(f'{where} must be a table, e.g. source = "frontend".')
    unknown = sorted(set(raw) - {"source", "build", "dist"})
    if unknown:
        raise UserInputError(
            f"{where}: unknown key {unknown[0]!r}; the keys are source, build and dist."
        )
    source = raw.get("source", "frontend")
    if not _inside(source):
        raise UserInputError(
            f"{where}: source = {source!r} must be a folder inside the project, relative to "
            'pyproject.toml, e.g. source = "frontend".'
        )
    dist = raw.get("dist", source)
    if not _inside(dist):
        raise UserInputError(
            f"{where}: dist = {dist!r} must be a folder inside the project, relative to "
            'pyproject.toml, e.g. dist = "frontend/dist" (leave it out to publish source).'
        )
    build = raw.get("build")
    if build is not None and (not isinstance(build, str) or not build.strip()):
        raise UserInputError(
            f"{where}: build = {build!r} must be a shell command, e.g. "
            'build = "npm ci && npm run build" (leave it out for plain files).'
        )
    return FrontendSettings(source=source, dist=dist, build=build)

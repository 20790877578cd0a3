"""The frontend: its build, its reproducible zip with the environment's config.json, and
its publication to the environment's Amplify branch (docs/frontend.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from deployer.config import Project
from deployer.frontend.bundle import (
    CONFIG_FILE,
    Bundle,
    config_document,
    frontend_settings,
    make_bundle,
    run_build,
)
from deployer.frontend.publish import Published, Publisher, Target, target_from_outputs

BUNDLE_FILE = "frontend.zip"


def publish_frontend(
    project: Project,
    env_name: str,
    outputs: Mapping[str, object],
    environ: Mapping[str, str],
    *,
    force: bool = False,
    progress: Callable[[str], None] = lambda line: None,
    stream: Callable[[str, str], None] | None = None,
) -> Published | None:
    """Build, zip and deploy the frontend of `env_name`; None when it has no frontend."""
    target = target_from_outputs(outputs, env_name)
    if target is None:
        return None
    settings = frontend_settings(project)
    run_build(project, settings, stream)
    bundle = make_bundle(
        project,
        settings,
        config_document(outputs, env_name),
        project.env_dir(env_name) / BUNDLE_FILE,
    )
    return Publisher(project, env_name, environ, target, progress).publish(bundle, force=force)


__all__ = [
    "CONFIG_FILE",
    "Bundle",
    "Published",
    "Publisher",
    "Target",
    "config_document",
    "make_bundle",
    "publish_frontend",
    "target_from_outputs",
]

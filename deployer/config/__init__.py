"""The project on disk: `[tool.deployer]` settings, environments, backend files."""

from __future__ import annotations

from deployer.config.backend import BackendConfig, read_backend_config
from deployer.config.environments import (
    Environment,
    environment_for_branch,
    get_environment,
    list_environments,
)
from deployer.config.project import Project, find_project

__all__ = [
    "BackendConfig",
    "Environment",
    "Project",
    "environment_for_branch",
    "find_project",
    "get_environment",
    "list_environments",
    "read_backend_config",
]

"""The project on disk: `[tool.deployer]` settings, environments, backend files, the SQL
migration files, and the one HCL parser (tfvars, backend files, Terraform code)."""

from __future__ import annotations

from deployer.config.backend import BackendConfig, read_backend_config
from deployer.config.environments import (
    Environment,
    environment_for_branch,
    get_environment,
    list_environments,
)
from deployer.config.frontend import FrontendSettings
from deployer.config.hcl import HclDocument, HclSyntaxError, parse_hcl, read_hcl, shown_path
from deployer.config.migrations import MigrationFile, list_migrations, migration_problems
from deployer.config.project import Project, find_project
from deployer.config.smoke import LOCAL_TOKEN, SmokeCheck, SmokeSettings

__all__ = [
    "LOCAL_TOKEN",
    "BackendConfig",
    "Environment",
    "FrontendSettings",
    "HclDocument",
    "HclSyntaxError",
    "MigrationFile",
    "Project",
    "SmokeCheck",
    "SmokeSettings",
    "environment_for_branch",
    "find_project",
    "get_environment",
    "list_environments",
    "list_migrations",
    "migration_problems",
    "parse_hcl",
    "read_backend_config",
    "read_hcl",
    "shown_path",
]

"""Releases without Terraform: a code-only deploy (`deploy-code`), moving `live` back
(`rollback`), and a function's published versions (`versions`)."""

from __future__ import annotations

from deployer.release.code_changes import SETTINGS_TAG, CodeChange
from deployer.release.code_deploy import (
    CodeDeployPlan,
    CodeDeployResult,
    FunctionDeploy,
    apply_code_deploy,
    deploy_code,
    plan_code_deploy,
)
from deployer.release.rollback import Rollback, apply_rollback, plan_rollback
from deployer.release.versions import ALIAS, FunctionVersions, PublishedVersion, list_versions

__all__ = [
    "ALIAS",
    "SETTINGS_TAG",
    "CodeChange",
    "CodeDeployPlan",
    "CodeDeployResult",
    "FunctionDeploy",
    "FunctionVersions",
    "PublishedVersion",
    "Rollback",
    "apply_code_deploy",
    "apply_rollback",
    "deploy_code",
    "list_versions",
    "plan_code_deploy",
    "plan_rollback",
]

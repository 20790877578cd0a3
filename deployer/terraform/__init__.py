"""Running Terraform: the adapter (the one place Terraform is run), its binary, the
provider mirror, sensitive values, and the module docs generator."""

from __future__ import annotations

from deployer.terraform.adapter import Terraform, console
from deployer.terraform.binary import find_terraform
from deployer.terraform.mirror import configured_mirror, implicit_mirrors, write_cli_config
from deployer.terraform.module_docs import discover_modules, discover_root_stack, generate

__all__ = [
    "Terraform",
    "configured_mirror",
    "console",
    "discover_modules",
    "discover_root_stack",
    "find_terraform",
    "generate",
    "implicit_mirrors",
    "write_cli_config",
]

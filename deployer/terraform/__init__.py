"""Running Terraform: the adapter (the one place Terraform is run), its binary, the
provider mirror, sensitive values, the root stack's and modules' variables, and the module
docs generator."""

from __future__ import annotations

from deployer.terraform.adapter import Terraform, console
from deployer.terraform.binary import find_terraform
from deployer.terraform.errors import TerraformError
from deployer.terraform.mirror import configured_mirror, implicit_mirrors, write_cli_config
from deployer.terraform.module_docs import discover_modules, discover_root_stack, generate
from deployer.terraform.sensitive import SENSITIVE, mask_text, sensitive_values
from deployer.terraform.variables import Variable, declared_variables

__all__ = [
    "SENSITIVE",
    "Terraform",
    "TerraformError",
    "Variable",
    "configured_mirror",
    "console",
    "declared_variables",
    "discover_modules",
    "discover_root_stack",
    "find_terraform",
    "generate",
    "implicit_mirrors",
    "mask_text",
    "sensitive_values",
    "write_cli_config",
]

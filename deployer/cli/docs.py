"""`deployer docs`: a Terraform module README's inputs/outputs tables, from the module's code.

`--all` covers every module under modules/ and the root stack terraform/ (its README.md
has the same markers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deployer.cli.options import JsonOption
from deployer.cli.output import console, print_json


def docs(
    module_dirs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Module folders (each with variables.tf and a README.md with markers)."
        ),
    ] = None,
    all_modules: Annotated[
        bool,
        typer.Option(
            "--all", help="Every module folder under the project's modules/, and terraform/."
        ),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; exit 1 when a README is out of date (for CI)."
        ),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Generate the inputs/outputs tables between the markers of each module's README.md."""
    from deployer.common import DeployerError, UserInputError
    from deployer.terraform import discover_modules, discover_root_stack, generate

    dirs = list(module_dirs or [])
    if all_modules:
        from deployer.config import find_project

        project = find_project()
        found = discover_modules(project.modules_dir) + discover_root_stack(project.terraform_dir)
        dirs += [d for d in found if d not in dirs]
    if not dirs:
        raise UserInputError("No module folder given: pass one or more module dirs, or --all.")
    results = generate(dirs, check=check)
    stale = [r for r in results if not r.up_to_date]
    if json_out:
        print_json(
            {"check": check, "ok": not (check and stale), "modules": [r.as_dict() for r in results]}
        )
    else:
        for r in results:
            if r.written:
                console.print(f"updated {r.readme}")
            elif r.up_to_date:
                console.print(f"up to date {r.readme}")
    if check and stale:
        names = ", ".join(str(r.readme) for r in stale)
        fix = " ".join(str(r.module) for r in stale)
        verb = "is" if len(stale) == 1 else "are"
        raise DeployerError(
            f"{names} {verb} out of date: run `deployer docs {fix}` and commit the result."
        )

"""Builds of small projects for the packaging tests (tests/packaging/)."""

from __future__ import annotations

from pathlib import Path

from deployer.config.project import find_project
from deployer.packaging import builder as packaging
from helpers.function_projects import simple_function, write_project


def build(root: Path, **kwargs) -> packaging.BuildResult:
    """Package the project at `root`, without a progress display."""
    return packaging.build(find_project(root), progress=False, **kwargs)


def two_functions(root: Path, **shared_files: str) -> Path:
    """A project with two functions (items, health) and files in _shared/."""
    return write_project(
        root,
        {
            "items": simple_function(
                'memory = 256\n[[routes]]\nroute = "GET /items"\n',
                **{"models.py": "X = 1\n", "pkg/__init__.py": "", "pkg/util.py": "Y = 2\n"},
            ),
            "health": simple_function('[[routes]]\nroute = "GET /health"\nauth = "none"\n'),
        },
        shared={"common.py": "Z = 3\n", **shared_files},
    )

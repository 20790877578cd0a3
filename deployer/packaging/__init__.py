"""Function folders become reproducible zips and a build manifest; `write_zip` is the
reproducible zip writer (the frontend's site zip uses it too)."""

from __future__ import annotations

from deployer.packaging.archive import write_zip
from deployer.packaging.builder import build

__all__ = [
    "build",
    "write_zip",
]

"""Function folders become reproducible zips and a build manifest."""

from __future__ import annotations

from deployer.packaging.builder import build

__all__ = [
    "build",
]

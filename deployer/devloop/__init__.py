"""The inner loop on an emulated environment (`deployer dev`): apply if needed, serve,
watch the sources, redeploy a function's code or run Terraform on each saved change;
and tokens of the local issuer (`deployer token`)."""

from __future__ import annotations

from deployer.devloop.changes import Changes, classify
from deployer.devloop.code_update import CodeUpdate, update_code
from deployer.devloop.session import DevSession
from deployer.devloop.tokens import local_token, route_scopes

__all__ = [
    "Changes",
    "CodeUpdate",
    "DevSession",
    "classify",
    "local_token",
    "route_scopes",
    "update_code",
]

"""Which functions' code differs from what is deployed, and whether anything else does.

"Did only the code change?" is answered against what is deployed, never against a file
on this machine. The root stack tags every function with the digest of the function.toml
settings it applied (`deployer:settings-sha256`, the build manifest's `settings_sha256`),
so one GetFunction per function gives its code hash and the settings it runs with, from
any clone and any CI runner. The other options are weaker: Lambda's configuration shows
handler, runtime, memory, timeout and architecture, but not routes or access, and its
environment holds variables the stack adds (table names, the database address); a build
manifest recorded at the last apply exists only where that apply ran, never on a fresh
CI runner, and says nothing of an apply made from another clone. Which functions are
deployed comes from the stack's `function_names` output (its state), so a new or a
removed function is seen too. Lambda's configuration is still read, to name the settings
that changed where it shows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from deployer.common import DeployerError, UserInputError, did_you_mean
from deployer.release.lambda_errors import NOT_FOUND, aws_error, error_code
from deployer.release.versions import ALIAS

# The tag terraform/functions.tf puts on each function (the manifest's settings_sha256).
SETTINGS_TAG = "deployer:settings-sha256"
# Build-manifest settings that Lambda's configuration shows, to name what changed.
_VISIBLE = {
    "handler": lambda c: c.get("Handler"),
    "runtime": lambda c: c.get("Runtime"),
    "architecture": lambda c: (c.get("Architectures") or ["x86_64"])[0],
    "memory": lambda c: c.get("MemorySize"),
    "timeout": lambda c: c.get("Timeout"),
    "description": lambda c: c.get("Description", ""),
}
_LOOKUPS = 8  # GetFunction calls in flight at once


@dataclass(frozen=True)
class CodeChange:
    """One function: the code just built, the code deployed, and the version `live` serves."""

    function: str
    deployed_name: str
    zip_path: Path
    code_sha256: str  # the build's (base64 SHA-256 of the zip)
    deployed_sha256: str  # $LATEST's, which Terraform compares with source_code_hash
    live_version: str
    live_sha256: str

    @property
    def needs_upload(self) -> bool:
        """The function's code ($LATEST) is not this build's."""
        return self.code_sha256 != self.deployed_sha256

    @property
    def changed(self) -> bool:
        """Something to do: new code, or `live` not serving it (e.g. after a rollback)."""
        return self.needs_upload or self.live_sha256 != self.code_sha256


def _describe(function: str, entry: Mapping, config: Mapping, source: str) -> str:
    """Which settings of `function` differ, named where Lambda's configuration shows them."""
    names = [key for key, read in _VISIBLE.items() if entry.get(key) != read(config)]
    deployed_env = (config.get("Environment") or {}).get("Variables") or {}
    wanted_env = entry.get("environment") or {}
    if any(deployed_env.get(k) != v for k, v in wanted_env.items()):
        names.append("environment")
    changed = ", ".join(names) if names else "routes, access or environment"
    return f"{function}: {changed} changed in {source}"


def _lookup(lam: Any, env_name: str, name: str) -> tuple[dict | None, dict | None]:
    """GetFunction of $LATEST (configuration and tags) and of `live`; (None, None): absent."""
    try:
        latest = lam.get_function(FunctionName=name)
        live = lam.get_function(FunctionName=name, Qualifier=ALIAS)
    except ClientError as exc:
        if error_code(exc) in NOT_FOUND:
            return None, None
        raise aws_error(exc, f"reading the function {name}", env_name) from None
    return latest, live


def find_code_changes(
    lam: Any,
    env_name: str,
    built: Mapping[str, Mapping],
    deployed: Mapping[str, str],
    *,
    root: Path,
    sources: Mapping[str, str],
    selected: Sequence[str] | None = None,
) -> list[CodeChange]:
    """The selected functions (default: all) against what is deployed in `env_name`.

    `built`: the build manifest's functions; `deployed`: the stack's `function_names`
    output; `sources`: each function's function.toml, as shown. Raises a `DeployerError`
    naming every change that is not code (settings, a new or a removed function): those
    are Terraform's to deploy.
    """
    if selected:
        for name in selected:
            if name not in built:
                raise UserInputError(
                    f"No function named {name!r} under lambda_src/{did_you_mean(name, built)}; "
                    f"functions: {', '.join(built) or 'none'}."
                )
    names = list(dict.fromkeys(selected)) if selected else sorted(built)
    refusals = [
        f"new function {n} ({sources.get(n, 'lambda_src/')})" for n in names if n not in deployed
    ]
    if not selected:
        refusals += [
            f"removed function {n} (still deployed)" for n in sorted(deployed) if n not in built
        ]
    present = [n for n in names if n in deployed]
    with ThreadPoolExecutor(max_workers=_LOOKUPS, thread_name_prefix="lookup") as pool:
        found = dict(
            zip(
                present,
                pool.map(lambda n: _lookup(lam, env_name, deployed[n]), present),
                strict=True,
            )
        )
    changes = []
    for name in present:
        latest, live = found[name]
        entry = built[name]
        if latest is None or live is None:
            refusals.append(
                f"{name} is not deployed ({deployed[name]} or its {ALIAS} alias is missing)"
            )
            continue
        config = latest["Configuration"]
        tag = (latest.get("Tags") or {}).get(SETTINGS_TAG)
        if tag is None:
            refusals.append(f"{name} was applied without its settings digest (tag {SETTINGS_TAG})")
        elif tag != entry.get("settings_sha256"):
            refusals.append(_describe(name, entry, config, sources.get(name, "its function.toml")))
        changes.append(
            CodeChange(
                function=name,
                deployed_name=deployed[name],
                zip_path=root / entry["zip_path"],
                code_sha256=entry["source_code_hash"],
                deployed_sha256=config.get("CodeSha256", ""),
                live_version=str(live["Configuration"].get("Version", "")),
                live_sha256=live["Configuration"].get("CodeSha256", ""),
            )
        )
    if refusals:
        raise DeployerError(
            f"deploy-code ships code only, and more than code changed in {env_name}: "
            f"{'; '.join(refusals)}; run deployer apply {env_name}."
        )
    return changes

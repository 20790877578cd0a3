"""`deployer package`: every function folder becomes a reproducible zip plus the build manifest.

Flow: validate every manifest and the migration files (nothing is written on bad input) ->
work out which functions' inputs changed -> install their dependencies through the shared
cache -> build the zips in parallel into a staging folder -> move them into
`.deployer/build/` and rewrite `manifest.json` only once all succeeded, so a failure leaves
the previous build intact. The migrate function's package also holds the project's
migrations (under `migrations/`), so they are among its inputs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from deployer import __version__
from deployer.common import UserInputError, atomic_write, did_you_mean
from deployer.config import Project, list_migrations
from deployer.functions import SHARED_DIR, FunctionSpec, load_functions
from deployer.packaging.archive import write_zip
from deployer.packaging.dependencies import (
    REQUIREMENTS,
    DependencyCache,
    Requirements,
    default_cache_root,
    dependency_key,
    read_requirements,
)
from deployer.packaging.progress import Reporter, make_reporter
from deployer.packaging.selection import (
    Excluded,
    Rules,
    Selection,
    exclusion_warnings,
    select_sources,
)

MANIFEST_FORMAT = 1
# Part of every function's inputs: bump it when the zip layout rules change.
BUILD_RULES = "2"
MANIFEST_NAME = "manifest.json"
STATE_NAME = "inputs.json"  # input fingerprints of the last build (not part of the contract)
MB = 1024 * 1024
ZIPPED_LIMIT = 50 * MB  # Lambda: direct upload of a deployment package
UNZIPPED_LIMIT = 250 * MB  # Lambda: unzipped function code and layers
# Where the migrate function finds the project's SQL migrations (docs/database.md).
MIGRATIONS_ARCDIR = "migrations"


@dataclass
class BuildResult:
    """What a build produced: the manifest (as written) and which functions were (re)built."""

    manifest_path: Path
    manifest: dict
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # files the default exclusions left out

    def as_dict(self, root: Path) -> dict:
        return {
            "manifest_path": self.manifest_path.relative_to(root).as_posix(),
            "built": self.built,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "functions": self.manifest["functions"],
        }


@dataclass
class _Plan:
    """One function's inputs, worked out before anything is built."""

    spec: FunctionSpec
    sources: dict[str, Path]
    requirements: Requirements | None
    dependency_key: str | None
    inputs: str


class _Digests(dict):
    """Hex SHA-256 of each file read, by path: `_shared/` files are hashed once per build."""

    def __missing__(self, path: Path) -> str:
        self[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        return self[path]

    def of(self, entries: dict[str, Path]) -> list[str]:
        return [f"{arcname}\0{self[path]}" for arcname, path in sorted(entries.items())]


def _merge_sources(project: Project, spec: FunctionSpec, own: dict, shared: dict) -> dict:
    for arcname in sorted(own.keys() & shared.keys()):
        raise UserInputError(
            f"{(spec.folder / arcname).relative_to(project.root).as_posix()} would overwrite "
            f"lambda_src/{SHARED_DIR}/{arcname} in the package; rename one of them."
        )
    if spec.name == project.settings.migrate_function:
        own.update(_migration_sources(project, spec, own))
    return {**shared, **own}


def _migration_sources(project: Project, spec: FunctionSpec, own: dict[str, Path]) -> dict:
    """The project's migrations, under migrations/ in the migrate function's package."""
    for arcname in sorted(own):
        if arcname.startswith(f"{MIGRATIONS_ARCDIR}/"):
            raise UserInputError(
                f"{(spec.folder / arcname).relative_to(project.root).as_posix()}: the "
                f"{MIGRATIONS_ARCDIR}/ folder of {spec.name}'s package holds the project's "
                f"{project.settings.migrations}/ files; move this file there."
            )
    return {f"{MIGRATIONS_ARCDIR}/{m.name}": m.path for m in list_migrations(project)}


def _plan(project: Project, specs: list[FunctionSpec]) -> tuple[list[_Plan], list[str]]:
    """Every function's inputs, and a warning for each file the default exclusions left out.

    Only the selected files are read: what is left out never touches a fingerprint or a zip.
    """
    shared_dir = project.lambda_src / SHARED_DIR
    has_shared = os.path.lexists(shared_dir)  # a dangling _shared link is an error, not "none"
    shared_by_rules: dict[Rules, Selection] = {}
    digests = _Digests()
    left_out: list[tuple[Excluded, str, str]] = []
    plans = []
    for spec in specs:
        rules = Rules(spec.include, spec.exclude)
        own = select_sources(spec.folder, rules, project.root)
        if has_shared and rules not in shared_by_rules:
            shared_by_rules[rules] = select_sources(shared_dir, rules, project.root)
        shared = shared_by_rules.get(rules)
        manifest = spec.manifest_path.relative_to(project.root).as_posix()
        for excluded in own.excluded + (shared.excluded if shared else []):
            left_out.append((excluded, spec.name, manifest))
        shared_entries = shared.entries if shared else {}
        sources = _merge_sources(project, spec, dict(own.entries), shared_entries)
        requirements = read_requirements(
            [shared_dir / REQUIREMENTS, spec.folder / REQUIREMENTS], project.root
        )
        key = None
        if requirements is not None:
            key = dependency_key(requirements, spec.runtime, spec.architecture)
        fingerprint = hashlib.sha256()
        for part in (
            BUILD_RULES,
            __version__,
            json.dumps(spec.settings(), sort_keys=True),
            key or "-",
            *digests.of(shared_entries),
            *digests.of({a: p for a, p in sources.items() if a not in shared_entries}),
        ):
            fingerprint.update(part.encode() + b"\n")
        plans.append(_Plan(spec, sources, requirements, key, fingerprint.hexdigest()))
    return plans, exclusion_warnings(left_out)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def source_code_hash(path: Path) -> str:
    """Base64 SHA-256 of a file: what Terraform's filebase64sha256() returns."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def _is_current(plan: _Plan, previous: dict, state: dict, project: Project) -> bool:
    entry = previous.get(plan.spec.name)
    recorded = state.get(plan.spec.name)
    if not entry or not recorded or recorded.get("inputs") != plan.inputs:
        return False
    zip_file = project.root / entry.get("zip_path", "")
    try:
        info = zip_file.stat()
    except OSError:
        return False
    if info.st_size != entry.get("size"):
        return False
    if info.st_mtime_ns == recorded.get("zip_mtime_ns"):
        return True
    # Touched since: trust it only if the bytes are still the ones the manifest names.
    return source_code_hash(zip_file) == entry.get("source_code_hash")


def _size_error(spec: FunctionSpec, what: str, size: int, limit: int) -> UserInputError:
    return UserInputError(
        f"{spec.manifest_path.parent.name}/: the package of {spec.name!r} is {size / MB:.1f} MB "
        f"{what}, over Lambda's {limit // MB} MB limit; trim {REQUIREMENTS} (or move large "
        "dependencies to a layer) and keep data files out of the function folder."
    )


def _build_one(
    project: Project, plan: _Plan, cache: DependencyCache, users: list[str], staging: Path
) -> dict:
    spec = plan.spec
    started = time.perf_counter()
    entries = dict(plan.sources)
    if plan.requirements is not None:
        installed = cache.ensure(
            plan.dependency_key, plan.requirements, spec.runtime, spec.architecture, users
        )
        deps = cache.entries(installed)
        for arcname in sorted(deps.keys() & entries.keys()):
            raise UserInputError(
                f"{spec.manifest_path.parent.name}/{arcname} clashes with the same file from "
                f"the dependencies in {REQUIREMENTS}; rename your module or drop the requirement."
            )
        entries.update(deps)
    unzipped = sum(path.stat().st_size for path in entries.values())
    if unzipped > UNZIPPED_LIMIT:
        raise _size_error(spec, "unzipped", unzipped, UNZIPPED_LIMIT)
    zip_file = staging / f"{spec.name}.zip"
    write_zip(zip_file, entries.items())
    size = zip_file.stat().st_size
    if size > ZIPPED_LIMIT:
        raise _size_error(spec, "zipped", size, ZIPPED_LIMIT)
    return {
        "size": size,
        "source_code_hash": source_code_hash(zip_file),
        "seconds": time.perf_counter() - started,
    }


def _build_all(
    project: Project, plans: list[_Plan], staging: Path, reporter: Reporter
) -> dict[str, dict]:
    cache = DependencyCache(default_cache_root(), log=reporter.note)
    users: dict[str | None, list[str]] = {}
    for plan in plans:
        users.setdefault(plan.dependency_key, []).append(plan.spec.name)
    workers = max(1, min(len(plans), os.cpu_count() or 2))
    results: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="package") as pool:
        futures = {
            pool.submit(
                _build_one, project, plan, cache, users[plan.dependency_key], staging
            ): plan.spec.name
            for plan in plans
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                if future.exception() is not None:
                    for other in pending:
                        other.cancel()
                    raise future.exception()
                name = futures[future]
                results[name] = future.result()
                reporter.built(name, results[name]["size"], results[name]["seconds"])
    return results


def _select(specs: list[FunctionSpec], only: str | None) -> list[FunctionSpec]:
    if only is None:
        return specs
    names = [s.name for s in specs]
    if only not in names:
        raise UserInputError(
            f"No function named {only!r} under lambda_src/{did_you_mean(only, names)}; "
            f"functions: {', '.join(names) or 'none'}."
        )
    return [s for s in specs if s.name == only]


def settings_sha256(settings: dict) -> str:
    """Hex SHA-256 of a function's settings as canonical JSON: the root stack tags the
    function with it, so `deployer deploy-code` can tell a code change from a settings one."""
    canonical = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _manifest_entry(project: Project, spec: FunctionSpec, size: int, digest: str) -> dict:
    zip_path = (project.build_dir / f"{spec.name}.zip").relative_to(project.root).as_posix()
    settings = spec.settings()
    return {
        "zip_path": zip_path,
        "size": size,
        "source_code_hash": digest,
        "settings_sha256": settings_sha256(settings),
        **settings,
    }


def _build_stale(
    project: Project, stale: list[_Plan], up_to_date: int, progress: bool | None
) -> dict[str, dict]:
    """Build into a staging folder; move the zips into place only once every one succeeded."""
    project.build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=project.build_dir))
    try:
        with make_reporter(progress, len(stale), up_to_date) as reporter:
            results = _build_all(project, stale, staging, reporter)
        for name in results:
            os.replace(staging / f"{name}.zip", project.build_dir / f"{name}.zip")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return results


def _new_manifest(
    project: Project,
    specs: list[FunctionSpec],
    plans: list[_Plan],
    results: dict[str, dict],
    previous: dict,
    state: dict,
) -> tuple[dict, dict]:
    """The manifest and input fingerprints after this build, in function-name order."""
    functions: dict[str, dict] = {}
    new_state: dict[str, dict] = {}
    by_name = {p.spec.name: p for p in plans}
    for spec in specs:
        plan = by_name.get(spec.name)
        if plan is None:  # not selected this time: keep what the last build recorded
            if spec.name in previous:
                functions[spec.name] = previous[spec.name]
                if spec.name in state:
                    new_state[spec.name] = state[spec.name]
            continue
        built = results.get(spec.name) or previous[spec.name]
        functions[spec.name] = _manifest_entry(
            project, spec, built["size"], built["source_code_hash"]
        )
        zip_file = project.build_dir / f"{spec.name}.zip"
        new_state[spec.name] = {"inputs": plan.inputs, "zip_mtime_ns": zip_file.stat().st_mtime_ns}
    manifest = {"format": MANIFEST_FORMAT, "deployer_version": __version__, "functions": functions}
    return manifest, {"functions": new_state}


def _write_outputs(project: Project, manifest: dict, state: dict, names: set[str]) -> None:
    project.build_dir.mkdir(parents=True, exist_ok=True)
    outputs = (
        (project.build_dir / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n"),
        (project.build_dir / STATE_NAME, json.dumps(state, indent=2, sort_keys=True) + "\n"),
    )
    # Only rewrite what changed: a no-op build leaves every file (and its mtime) alone.
    for path, content in outputs:
        atomic_write(path, content, only_if_changed=True)
    for orphan in project.build_dir.glob("*.zip"):
        if orphan.stem not in names:  # its function folder is gone
            orphan.unlink(missing_ok=True)


def build(
    project: Project,
    *,
    only: str | None = None,
    force: bool = False,
    progress: bool | None = None,
) -> BuildResult:
    """Package every function (or only one) and write `.deployer/build/manifest.json`.

    `progress`: True for a rich progress bar, False for plain lines (both on stderr),
    None to pick by whether stderr is a terminal. Bad input raises before anything is
    written; a failed build leaves the previous build as it was.
    """
    started = time.perf_counter()
    specs = load_functions(project)
    plans, warnings = _plan(project, _select(specs, only))
    for line in warnings:  # before the progress display, on the same stderr path
        Reporter(0, 0).note(f"warning: {line}")

    previous = _read_json(project.build_dir / MANIFEST_NAME).get("functions") or {}
    state = (_read_json(project.build_dir / STATE_NAME).get("functions") or {}) if previous else {}
    stale = [p for p in plans if force or not _is_current(p, previous, state, project)]
    results = _build_stale(project, stale, len(plans) - len(stale), progress) if stale else {}

    manifest, new_state = _new_manifest(project, specs, plans, results, previous, state)
    _write_outputs(project, manifest, new_state, {s.name for s in specs})
    return BuildResult(
        manifest_path=project.build_dir / MANIFEST_NAME,
        manifest=manifest,
        built=sorted(results),
        skipped=sorted(p.spec.name for p in plans if p.spec.name not in results),
        seconds=time.perf_counter() - started,
        warnings=warnings,
    )

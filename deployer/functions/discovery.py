"""Finding the functions under `lambda_src/` and validating their `function.toml` manifests.

Every manifest is read and checked before anything is built; all problems are reported
together as one `UserInputError`, each naming the file and the field and saying the fix.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from deployer.common import UserInputError, closest
from deployer.config import Project, list_environments, migration_problems
from deployer.functions.handlers import find_handler_problem
from deployer.functions.manifest import (
    DESCRIPTION_MAX,
    MEMORY_RANGE,
    TIMEOUT_RANGE,
    Checker,
    Route,
    check_access,
    check_environment,
    check_patterns,
    check_route,
)
from deployer.functions.routes import route_conflict_key

MANIFEST = "function.toml"
SHARED_DIR = "_shared"

RUNTIMES = ("python3.11", "python3.12", "python3.13")
ARCHITECTURES = ("arm64", "x86_64")
# The environments every project is expected to have, so a name that fits today still fits
# when `preprod` is added later; envs/*.tfvars may add longer ones.
STANDARD_ENVS = ("local", "dev", "qa", "preprod", "prod")
LAMBDA_NAME_MAX = 64
HANDLER_MAX = 128  # Lambda's limit for a function's handler setting

TOP_LEVEL_KEYS = (
    "name",
    "handler",
    "runtime",
    "architecture",
    "memory",
    "timeout",
    "description",
    "environment",
    "routes",
    "access",
    "include",
    "exclude",
)
NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
HANDLER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


@dataclass(frozen=True, eq=False)
class FunctionSpec:
    """A validated function: its folder and every manifest setting with defaults filled in."""

    name: str
    folder: Path
    manifest_path: Path
    handler: str
    runtime: str
    architecture: str
    memory: int
    timeout: int
    description: str
    environment: dict[str, str] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()
    tables: dict[str, str] = field(default_factory=dict)
    database: bool = False
    database_role: str = "app"  # "owner" for `database = "owner"` (docs/database.md)
    # Packaging only (docs/functions.md, "Packages"): not settings, not in the build manifest.
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def python_version(self) -> str:
        """`python3.12` -> `3.12`."""
        return self.runtime.removeprefix("python")

    def settings(self) -> dict:
        """The build-manifest fields that come from the manifest (docs/architecture.md)."""
        return {
            "handler": self.handler,
            "runtime": self.runtime,
            "architecture": self.architecture,
            "memory": self.memory,
            "timeout": self.timeout,
            "description": self.description,
            "environment": dict(sorted(self.environment.items())),
            "routes": [route.as_dict() for route in self.routes],
            "access": {
                "tables": dict(sorted(self.tables.items())),
                "database": self.database,
                # Only when it is not the default, so the other functions' digests stay.
                **({"database_role": self.database_role} if self.database_role != "app" else {}),
            },
        }


def max_name_length(project: Project) -> tuple[int, str]:
    """How long a function name may be so `<app>-<env>-<name>` fits Lambda's 64 characters."""
    envs = {env.name for env in list_environments(project)} | set(STANDARD_ENVS)
    longest = max(sorted(envs), key=len)
    return LAMBDA_NAME_MAX - len(project.settings.app) - len(longest) - 2, longest


def _check_manifest(
    project: Project, folder: Path, raw: dict, name_limit: tuple[int, str]
) -> tuple[FunctionSpec | None, list[str]]:
    manifest_path = folder / MANIFEST
    check = Checker(manifest_path.relative_to(project.root).as_posix())
    check.unknown_keys(raw, TOP_LEVEL_KEYS, "")

    name = raw.get("name", folder.name)
    limit, longest_env = name_limit
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        check.fail(
            "name",
            f"= {name!r} is not a valid Lambda function name: use only letters, digits, "
            'hyphens and underscores (it defaults to the folder name; set name = "..." or '
            "rename the folder).",
        )
        name = None
    elif len(name) > limit:
        check.fail(
            "name",
            f"= {name!r} is {len(name)} characters, too long: Lambda names are at most 64 "
            f"characters and the deployed name is <app>-<env>-<name> "
            f"({project.settings.app}-{longest_env}-{name}), so keep it to {limit}.",
        )
        name = None

    handler = check.string(raw, "handler")
    if handler is not None:
        if len(handler) > HANDLER_MAX:
            # Checked before any file is looked for: a module part longer than a file
            # name may be is an OSError, not a missing module.
            check.fail(
                "handler",
                f"is {len(handler)} characters; Lambda allows at most {HANDLER_MAX}: "
                'shorten it (module.function, e.g. handler = "handler.handler").',
            )
            handler = None
        elif not HANDLER_RE.fullmatch(handler):
            check.fail(
                "handler",
                f"= {handler!r} is not module.function: write e.g. handler = "
                '"handler.handler" (nested packages: "pkg.module.function").',
            )
            handler = None
        else:
            problem = find_handler_problem(handler, folder, project.lambda_src / SHARED_DIR)
            if problem:
                check.fail("handler", f"= {handler!r}: {problem}")
                handler = None

    # No "did you mean" for runtimes: python3.9 is not a typo of python3.13.
    runtime = check.choice(raw, "runtime", RUNTIMES, suggest=False)
    architecture = check.choice(raw, "architecture", ARCHITECTURES)
    memory = check.int_in_range(raw, "memory", MEMORY_RANGE, "MB")
    timeout = check.int_in_range(raw, "timeout", TIMEOUT_RANGE, "seconds")
    description = check.string(raw, "description")
    if description is not None and len(description) > DESCRIPTION_MAX:
        check.fail("description", f"is {len(description)} characters; Lambda allows 256.")
        description = None

    environment = check_environment(check, raw.get("environment", {}))
    routes_raw = raw.get("routes", [])
    routes: list[Route] = []
    if not isinstance(routes_raw, list):
        check.fail("routes", 'must be an array of tables: [[routes]] then route = "GET /items".')
    else:
        for index, entry in enumerate(routes_raw):
            route = check_route(check, index, entry)
            if route is not None:
                routes.append(route)
    tables, database, database_role = check_access(check, raw.get("access", {}))
    include = check_patterns(check, raw, "include")
    exclude = check_patterns(check, raw, "exclude")

    if check.problems:
        return None, check.problems
    spec = FunctionSpec(
        name=name,
        folder=folder,
        manifest_path=manifest_path,
        handler=handler,
        runtime=runtime,
        architecture=architecture,
        memory=memory,
        timeout=timeout,
        description=description,
        environment=environment,
        routes=tuple(routes),
        tables=tables,
        database=database,
        database_role=database_role,
        include=include,
        exclude=exclude,
    )
    return spec, []


def _manifest_problem(project: Project, folder: Path) -> str | None:
    """Why `folder` or its function.toml cannot be taken as a function, if it cannot."""
    manifest = folder / MANIFEST
    if folder.is_symlink():
        return (
            f"{folder.relative_to(project.root).as_posix()}: is a symlink to "
            f"{os.readlink(folder)}; a function folder must be a real folder (a package holds "
            "only what the function folder holds), so replace the link with a copy."
        )
    rel = manifest.relative_to(project.root).as_posix()
    if manifest.is_symlink():
        return (
            f"{rel}: is a symlink to {os.readlink(manifest)}; a manifest must be a regular "
            "file in its function folder, so replace the link with a copy of the file."
        )
    mode = manifest.lstat().st_mode
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        return (
            f"{rel}: is {what}; a manifest must be a regular file, so replace it with one "
            "(or prefix the folder with _ if it is not a function)."
        )
    return None


def function_folders(project: Project) -> list[Path]:
    """Every folder under lambda_src/ holding a function.toml (`_`-prefixed ones excluded).

    A function.toml that is a link, a folder or a special file, or a function folder that
    is a link, is an error: it never silently drops a function or pulls in outside files.
    """
    if not project.lambda_src.is_dir():
        return []
    folders = []
    for child in sorted(project.lambda_src.iterdir()):
        if not child.is_dir() or child.name.startswith(("_", ".")):
            continue
        if os.path.lexists(child / MANIFEST):
            problem = _manifest_problem(project, child)
            if problem:
                raise UserInputError(problem)
            folders.append(child)
            continue
        # A misspelt manifest would silently drop the function from the deployment.
        for entry in child.iterdir():
            if entry.is_file() and closest(entry.name, [MANIFEST], cutoff=0.8):
                raise UserInputError(
                    f"{entry.relative_to(project.root).as_posix()}: a function's manifest must "
                    f"be named {MANIFEST}; rename the file (or prefix the folder with _ if it "
                    "is not a function)."
                )
    return folders


def _read_toml(project: Project, path: Path) -> tuple[dict | None, str | None]:
    rel = path.relative_to(project.root).as_posix()
    try:
        data = path.read_bytes()
        return tomllib.loads(data.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, f"{rel}:{line}: is not UTF-8 text; save it as UTF-8."
    except OSError as exc:
        return None, f"{rel}: cannot be read ({exc.strerror}); fix its permissions."
    except tomllib.TOMLDecodeError as exc:
        return None, f"{rel}: is not valid TOML ({exc}); fix the syntax."


def _cross_function_problems(project: Project, specs: list[FunctionSpec]) -> list[str]:
    problems = []
    by_name: dict[str, FunctionSpec] = {}
    by_route: dict[str, tuple[FunctionSpec, int]] = {}
    for spec in specs:
        rel = spec.manifest_path.relative_to(project.root).as_posix()
        # Case-insensitive: `Items` and `items` would share one zip on macOS and Windows.
        other = by_name.setdefault(spec.name.lower(), spec)
        if other is not spec:
            other_rel = other.manifest_path.relative_to(project.root).as_posix()
            problems.append(
                f"{rel}: name = {spec.name!r} is already used by {other_rel}; function names "
                "must be unique (ignoring case), so set a different name."
            )
        for index, route in enumerate(spec.routes):
            # Routes that differ only in parameter names match the same requests.
            owner, owner_index = by_route.setdefault(
                route_conflict_key(route.route_key), (spec, index)
            )
            if (owner, owner_index) == (spec, index):
                continue
            where = (
                f"routes[{owner_index}] of the same file"
                if owner is spec
                else owner.manifest_path.relative_to(project.root).as_posix()
            )
            problems.append(
                f"{rel}: routes[{index}].route = {route.route_key!r} is already claimed by "
                f"{where} ({owner.routes[owner_index].route_key!r}); a route goes to one "
                "function only, so remove one of them."
            )
    return problems


def load_functions(project: Project) -> list[FunctionSpec]:
    """Every function under lambda_src/, validated; one UserInputError listing all problems."""
    name_limit = max_name_length(project)
    specs: list[FunctionSpec] = []
    problems: list[str] = []
    for folder in function_folders(project):
        raw, problem = _read_toml(project, folder / MANIFEST)
        if problem:
            problems.append(problem)
            continue
        spec, found = _check_manifest(project, folder, raw, name_limit)
        problems.extend(found)
        if spec is not None:
            specs.append(spec)
    problems.extend(_cross_function_problems(project, specs))
    if any(spec.name == project.settings.migrate_function for spec in specs):
        problems.extend(migration_problems(project))  # its package holds the migrations
    if problems:
        if len(problems) == 1:
            raise UserInputError(problems[0])
        listing = "\n".join(f"  - {p}" for p in problems)
        raise UserInputError(f"{len(problems)} problems in function manifests:\n{listing}")
    return sorted(specs, key=lambda s: s.name)


def deployed_name(project: Project, env_name: str, function: str) -> str:
    """The Lambda function name the root stack gives a function: `<app>-<env>-<name>`."""
    return f"{project.settings.app}-{env_name}-{function}"

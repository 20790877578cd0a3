"""Time a cold and a warm `deployer package` on N generated functions sharing `requests`.

    python benchmarks/package_bench.py [--functions 20] [--warm-runs 5] [--cold-pip-cache]

Cold: a fresh project (no .deployer/): validation, one pip install of `requests` for
python3.12 arm64 (pip's own download cache is used unless --cold-pip-cache), N zips and the
build manifest. Warm: the same command again with nothing changed (a no-op), through the
CLI (a new process, as a user types it) and through the Python API (`packaging.build`,
what other commands call in-process), next to `deployer envs --json` as the floor any
command pays to start. Prints every figure; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HANDLER = '''"""Generated benchmark function {index}."""

import json

import requests


def handler(event, context):
    session = requests.Session()
    return {{"statusCode": 200, "body": json.dumps({{"function": {index}, "ok": bool(session)}})}}
'''


def generate(root: Path, count: int) -> None:
    """A project with `count` functions, each with its own copy of the same requirements."""
    (root / "pyproject.toml").write_text('[tool.deployer]\napp = "bench"\n', encoding="utf-8")
    for index in range(count):
        folder = root / "lambda_src" / f"fn{index:02d}"
        folder.mkdir(parents=True)
        (folder / "function.toml").write_text(
            f'memory = 256\n[[routes]]\nroute = "GET /fn{index:02d}"\nauth = "none"\n',
            encoding="utf-8",
        )
        (folder / "handler.py").write_text(HANDLER.format(index=index), encoding="utf-8")
        (folder / "requirements.txt").write_text("requests\n", encoding="utf-8")
    shared = root / "lambda_src" / "_shared"
    shared.mkdir()
    (shared / "common.py").write_text("VERSION = 1\n", encoding="utf-8")


def deployer_command() -> list[str]:
    script = Path(sys.executable).with_name("deployer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "deployer"]


def run_cli(root: Path, env: dict[str, str], *command: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [*deployer_command(), *command],
        cwd=root,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=20)
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument(
        "--cold-pip-cache", action="store_true", help="give pip an empty cache (downloads too)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="package-bench-"))
    root = work / "project"
    root.mkdir()
    generate(root, args.functions)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPLOYER_")}
    env["CI"] = "1"  # plain progress lines, like a CI run
    if args.cold_pip_cache:
        env["PIP_CACHE_DIR"] = str(work / "pip-cache")
    try:
        cold = run_cli(root, env, "package", "--json")
        warm_cli = [run_cli(root, env, "package", "--json") for _ in range(args.warm_runs)]
        # The same process start, typer and imports, for a command that does next to nothing.
        floor = [run_cli(root, env, "envs", "--json") for _ in range(args.warm_runs)]

        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from deployer.config.project import find_project
        from deployer.packaging.builder import build

        project = find_project(root)
        warm_api = []
        for _ in range(args.warm_runs):
            started = time.perf_counter()
            result = build(project, progress=False)
            warm_api.append(time.perf_counter() - started)
            assert result.built == [], "a warm run rebuilt something"
        started = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):  # its 20 progress lines
            forced = build(project, force=True, progress=False)
        forced_seconds = time.perf_counter() - started
        zips = sorted((root / ".deployer" / "build").glob("*.zip"))
        size = sum(z.stat().st_size for z in zips) / len(zips) / 1024 / 1024

        print(f"functions:              {args.functions} (each {size:.2f} MB zipped)")
        print(f"pip cache:              {'empty' if args.cold_pip_cache else 'as is (warm)'}")
        print(f"cold (CLI):             {cold:.2f} s")
        print(
            f"warm no-op (CLI):       {statistics.median(warm_cli):.3f} s median "
            f"(min {min(warm_cli):.3f}, {args.warm_runs} runs)"
        )
        print(
            f"CLI floor (envs):       {statistics.median(floor):.3f} s median "
            f"(min {min(floor):.3f}: process start, imports, typer; no packaging)"
        )
        print(
            f"warm no-op (API):       {statistics.median(warm_api):.3f} s median "
            f"(min {min(warm_api):.3f}, {args.warm_runs} runs)"
        )
        print(f"--force, deps cached:   {forced_seconds:.2f} s ({len(forced.built)} rebuilt)")
        print(f"cpu cores:              {os.cpu_count()}")
    finally:
        if args.keep:
            print(f"project kept in {root}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Time `deployer plan` of four environments side by side against one environment alone.

    python benchmarks/plan_all_bench.py [--runs 3] [--applied]

AWS is out of reach here, so the four environments (dev, qa, preprod, prod) run on the
embedded emulator: the script copies the project to a temporary folder, marks the four as
emulated in its pyproject.toml and gives each the `local` tfvars and its own state bucket
and key. Then, through the CLI as a user types it:

- warm-up: `deployer plan dev qa preprod prod` (packaging, emulator start, state buckets,
  four inits); with --applied, each environment is also applied first, so the plans
  refresh every resource instead of planning from an empty state (without the database:
  see `make_project`);
- measured, `--runs` times each, alternating: `deployer plan dev` (one environment) and
  `deployer plan dev qa preprod prod` (four side by side, what `plan --all` runs).

Prints every run and the medians; asserts nothing. The emulator is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PARTS = ("pyproject.toml", "envs", "terraform", "modules", "lambda_src")
ENVS = ("dev", "qa", "preprod", "prod")
IGNORE = shutil.ignore_patterns(".deployer", ".terraform*", "__pycache__", "*.tfstate*")


def deployer_command() -> list[str]:
    script = Path(sys.executable).with_name("deployer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "deployer"]


def make_project(root: Path, *, without_database: bool = False) -> None:
    """A copy of the project whose four AWS environments run on the emulator instead.

    `without_database`: the copies have no database (and no function that needs one):
    moto gives every DB instance of an account the same DbiResourceId, so the provider
    cannot find a second database in one emulator.
    """
    for part in PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, root / part, ignore=IGNORE)
        else:
            shutil.copy2(src, root / part)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    emulated = ", ".join(f'"{e}"' for e in ("local", *ENVS))
    text = re.sub(r"(?m)^emulated = .*$", f"emulated = [{emulated}]", text)
    text = re.sub(r"(?m)^protected = .*$", "protected = []", text)
    pyproject.write_text(text, encoding="utf-8")
    envs = root / "envs"
    local_tfvars = (envs / "local.tfvars").read_text(encoding="utf-8")
    local_backend = (envs / "local.backend.hcl").read_text(encoding="utf-8")
    if without_database:
        local_tfvars = re.sub(r"(database = \{\s*enabled\s*=\s*)true", r"\1false", local_tfvars)
        for manifest in (root / "lambda_src").glob("*/function.toml"):
            if re.search(r"(?m)^database\s*=\s*true", manifest.read_text(encoding="utf-8")):
                shutil.rmtree(manifest.parent)
    for env in ENVS:
        (envs / f"{env}.tfvars").write_text(local_tfvars, encoding="utf-8")
        backend = local_backend.replace("deployer-local-tfstate", f"bench-{env}-tfstate")
        backend = backend.replace("local/terraform.tfstate", f"{env}/terraform.tfstate")
        (envs / f"{env}.backend.hcl").write_text(backend, encoding="utf-8")


def run(args: list[str], env: dict[str, str], log: Path) -> float:
    """One deployer command; its output goes to `log`; returns the wall-clock seconds."""
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ deployer {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run(
            [*deployer_command(), *args], env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-30:])
        sys.exit(f"{tail}\n`deployer {' '.join(args)}` failed with exit code {proc.returncode}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each (default 3)")
    parser.add_argument("--applied", action="store_true", help="apply the four environments first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="plan-all-bench-"))
    root = tmp / "project"
    root.mkdir()
    make_project(root, without_database=args.applied)
    env = {**os.environ, "DEPLOYER_PROJECT_DIR": str(root)}
    log = tmp / "bench.log"
    print(f"project: {root}\nlog: {log}\ncpus: {os.cpu_count()}")
    try:
        warm = run(["plan", *ENVS], env, log)
        print(f"warm-up (package, emulator, buckets, 4 inits, 4 plans): {warm:.1f} s")
        if args.applied:
            for name in ENVS:
                seconds = run(["apply", name, "--auto-approve"], env, log)
                print(f"apply {name}: {seconds:.1f} s")
        one, four = [], []
        for index in range(args.runs):
            one.append(run(["plan", "dev"], env, log))
            four.append(run(["plan", *ENVS], env, log))
            print(f"run {index + 1}: one environment {one[-1]:.1f} s, four {four[-1]:.1f} s")
        m1, m4 = statistics.median(one), statistics.median(four)
        print(
            f"median: one {m1:.1f} s, four side by side {m4:.1f} s "
            f"({m4 / m1:.2f}x one; four in a row would be ~{4 * m1:.1f} s)"
        )
        if args.applied:
            for name in ENVS:
                run(["destroy", name, "--confirm", name], env, log)
    finally:
        subprocess.run([*deployer_command(), "local", "stop"], env=env, check=False)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

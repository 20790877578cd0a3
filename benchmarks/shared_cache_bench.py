"""Time `deployer package` in a fresh clone of this repository with the dependency cache
empty (the first clone on a machine) and with it filled by another clone (every later one).

    python benchmarks/shared_cache_bench.py [--runs 3]

Each run: two new copies of the project (its tracked files, as a clone has them), one new
cache folder (DEPLOYER_CACHE_DIR, standing in for the per-user cache); `deployer package`
in the first copy (it installs every dependency set), then in the second (it installs
none). pip's own download cache is used in both. Prints every figure and the medians;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def copy_project(target: Path) -> Path:
    """The tracked files of the repository, as a fresh clone has them."""
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def package(project: Path, cache: Path) -> tuple[float, int]:
    """Seconds one `deployer package` takes, and how many dependency sets it installed."""
    env = {**os.environ, "DEPLOYER_CACHE_DIR": str(cache), "DEPLOYER_PROJECT_DIR": str(project)}
    env["CI"] = "1"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "deployer", "package"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    return seconds, done.stderr.count("installing dependencies")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold, warm = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="shared-cache-bench-") as tmp:
            base = Path(tmp)
            cache = base / "cache"
            first = copy_project(base / "clone-a")
            second = copy_project(base / "clone-b")
            seconds, installs = package(first, cache)
            cold.append(seconds)
            print(f"run {run + 1}: first clone  {seconds:6.2f} s ({installs} sets installed)")
            seconds, installs = package(second, cache)
            warm.append(seconds)
            print(f"run {run + 1}: second clone {seconds:6.2f} s ({installs} sets installed)")
    print(
        f"median: first clone {statistics.median(cold):.2f} s, "
        f"second clone {statistics.median(warm):.2f} s "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()

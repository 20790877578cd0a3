"""Time `deployer validate ENV` in a fresh copy of this repository: the first run, then
runs with nothing changed (issue 11's target: <= 5 s).

    python benchmarks/validate_bench.py [--env dev] [--runs 5]

The copy holds the repository's tracked files, as a clone has them. Through the CLI, a new
process each run, as a user types it. Prints every figure and the median; asserts nothing.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="dev")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="validate-bench-") as tmp:
        project = Path(tmp)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(project)], input=archive, check=True)
        env = {**os.environ, "DEPLOYER_PROJECT_DIR": str(project), "PYTHONPATH": str(project)}
        times = []
        for run in range(args.runs + 1):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "deployer", "validate", args.env],
                cwd=project,
                env=env,
                capture_output=True,
                check=True,
            )
            seconds = time.perf_counter() - started
            label = "first run" if run == 0 else f"unchanged {run}"
            print(f"{label}: {seconds:.2f} s")
            if run:
                times.append(seconds)
    print(
        f"median with nothing changed: {statistics.median(times):.2f} s "
        f"(range {min(times):.2f}-{max(times):.2f} s, load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()

"""One changed function shipped two ways on `local`: `deployer deploy-code local` against
`deployer apply local --auto-approve`, both through the CLI as a user runs them.

    python benchmarks/deploy_code_bench.py [--rounds 3]

Applies the project to `local` in a temporary copy (about two minutes, most of it the AWS
provider's RDS waiter), then per round edits one handler and times `deploy-code`, edits it
again and times `apply` (each run is a fresh process: start-up, packaging, the stack's
outputs and the AWS calls are all in the figure). Prints the medians and the ratio (the
target: deploy-code at most 1/5 of apply); asserts nothing. Needs Terraform and the
provider mirror (DEPLOYER_PROVIDER_MIRROR), as `deployer apply local` does.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PARTS = ("pyproject.toml", "envs", "terraform", "modules", "lambda_src", "migrations", "frontend")
HANDLER = Path("lambda_src") / "health" / "handler.py"


def deployer(project: Path, *args: str) -> float:
    """Run `deployer ARGS` in `project`; the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "deployer", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started


def copy(dest: Path) -> Path:
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns(".deployer", ".terraform", "__pycache__", "*.tfstate*")
    for part in PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / part)
    return dest


def edit(project: Path, mark: str) -> None:
    """A new answer from the health handler: a code change and nothing else."""
    handler = project / HANDLER
    text = handler.read_text(encoding="utf-8")
    start = text.index('{"status": "')
    end = text.index('"}', start + 12)
    handler.write_text(text[:start] + f'{{"status": "{mark}' + text[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deploy-code-bench-") as tmp:
        project = copy(Path(tmp) / "project")
        try:
            first = deployer(project, "apply", "local", "--auto-approve")
            print(f"first apply of local: {first:.1f} s")
            fast, full = [], []
            for n in range(args.rounds):
                edit(project, f"fast-{n}")
                fast.append(deployer(project, "deploy-code", "local"))
                edit(project, f"full-{n}")
                full.append(deployer(project, "apply", "local", "--auto-approve"))
                print(f"round {n + 1}: deploy-code {fast[-1]:.2f} s, apply {full[-1]:.2f} s")
        finally:
            subprocess.run(
                [sys.executable, "-m", "deployer", "local", "stop"],
                cwd=project,
                capture_output=True,
                check=False,
            )
    fast_median, full_median = statistics.median(fast), statistics.median(full)
    print(f"deploy-code local, one changed function: median {fast_median:.2f} s")
    print(f"apply local, one changed function:       median {full_median:.2f} s")
    print(f"ratio deploy-code / apply: 1/{full_median / fast_median:.1f} (target: 1/5 or less)")


if __name__ == "__main__":
    main()

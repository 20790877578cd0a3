"""The served API on `local`, through real HTTP: latency, cold start, throughput, and how
long a saved edit takes to be live under `deployer dev local`.

    python benchmarks/local_api_bench.py [--requests 500] [--seconds 10] [--edits 5]

Applies the project to `local` in a temporary copy (about two minutes, most of it the
AWS provider's RDS waiter), with the stage's throttling limits lifted (local throttles at
50 requests/s, as its tfvars say), then measures against the `api_url` it printed:

- warm latency p50/p99 of `GET /health` (public) and of `GET /items` (JWT authorizer,
  Powertools, DynamoDB), sequential requests on one connection;
- a function's cold start: the first request after new code (a code-only update starts
  a new worker), and the Init Duration the runtime logs;
- requests per second for `GET /health` with 8 concurrent clients;
- edit-saved-to-new-response time in `deployer dev local`: a handler rewritten, then
  polled until the answer changes.
Prints every figure; asserts nothing. Needs Terraform and the provider mirror
(DEPLOYER_PROVIDER_MIRROR), as `deployer apply local` does.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
PARTS = ("pyproject.toml", "envs", "terraform", "modules", "lambda_src", "migrations")


def deployer(project: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deployer", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
        **kwargs,
    )


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


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency(url: str, count: int, headers: dict | None = None) -> tuple[float, float]:
    session = requests.Session()
    for _ in range(20):  # warm the workers and the connection
        session.get(url, headers=headers, timeout=30).raise_for_status()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        session.get(url, headers=headers, timeout=30).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 0.5), percentile(samples, 0.99)


def throughput(url: str, seconds: float, clients: int = 8) -> float:
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def client(index: int) -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            session.get(url, timeout=30).raise_for_status()
            counts[index] += 1

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return sum(counts) / seconds


def cold_starts(project: Path, url: str, runs: int) -> tuple[float, float]:
    """First-request latency after new code, and the Init Duration the runtime logged."""
    from deployer.aws import client, environment
    from deployer.config import find_project
    from deployer.devloop import update_code

    proj = find_project(project)
    environ = environment(proj, "local")
    logs = client(environ, "logs")
    handler = project / "lambda_src" / "health" / "handler.py"
    original = handler.read_text()
    firsts, inits = [], []
    for run in range(runs):
        handler.write_text(original + f"\n# cold start {run}\n")
        update_code(proj, "local", environ, "health")
        started = time.perf_counter()
        requests.get(f"{url}health", timeout=30).raise_for_status()
        firsts.append((time.perf_counter() - started) * 1000)
    handler.write_text(original)
    group = f"/aws/lambda/{proj.settings.app}-local-health"
    for event in logs.filter_log_events(logGroupName=group).get("events", []):
        if "Init Duration:" in event["message"]:
            inits.append(float(event["message"].split("Init Duration:")[1].split("ms")[0]))
    return statistics.median(firsts), statistics.median(inits[-runs:]) if inits else float("nan")


def edit_to_response(project: Path, url: str, edits: int) -> list[float]:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "deployer", "dev", "local"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            if line.startswith("watching "):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(600):
        proc.kill()
        raise SystemExit("deployer dev local did not start watching")
    handler = project / "lambda_src" / "health" / "handler.py"
    original = handler.read_text()
    times = []
    try:
        for edit in range(edits):
            marker = f"edit-{edit}"
            started = time.perf_counter()
            handler.write_text(original.replace('{"status": "ok"}', f'{{"status": "{marker}"}}'))
            while marker not in requests.get(f"{url}health", timeout=30).text:
                if time.perf_counter() - started > 60:
                    raise SystemExit(f"edit {edit}: no new response within 60 s")
                time.sleep(0.01)
            times.append(time.perf_counter() - started)
            time.sleep(0.5)
    finally:
        handler.write_text(original)
        proc.terminate()
        proc.wait(timeout=30)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="local-api-bench-") as tmp:
        project = copy(Path(tmp) / "project")
        # local's stage throttles at 50 requests/s (burst 100), as configured; the figures
        # here are the emulator's own capacity, so the copy lifts those limits.
        tfvars = project / "envs" / "local.tfvars"
        text = tfvars.read_text(encoding="utf-8")
        text = text.replace("throttling_burst_limit = 100", "throttling_burst_limit = 5000")
        text = text.replace("throttling_rate_limit  = 50", "throttling_rate_limit  = 10000")
        tfvars.write_text(text, encoding="utf-8")
        try:
            started = time.monotonic()
            outputs = json.loads(
                deployer(project, "apply", "local", "--auto-approve", "--json").stdout
            )
            print(f"apply local: {time.monotonic() - started:.1f} s")
            url = outputs["api_url"]
            token = deployer(project, "token", "local", "--scope", "items:write").stdout.strip()
            auth = {"Authorization": f"Bearer {token}"}
            p50, p99 = latency(f"{url}health", args.requests)
            print(
                f"GET /health warm: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({args.requests} requests)"
            )
            p50, p99 = latency(f"{url}items", args.requests, auth)
            print(f"GET /items (JWT) warm: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
            first, init = cold_starts(project, url, args.cold_runs)
            print(f"cold start (health): first request {first:.0f} ms, Init Duration {init:.0f} ms")
            rps = throughput(f"{url}health", args.seconds)
            print(f"GET /health, 8 clients: {rps:.0f} requests/s over {args.seconds:.0f} s")
            times = edit_to_response(project, url, args.edits)
            print(
                f"dev local, edit saved to new response: median {statistics.median(times):.2f} s, "
                f"max {max(times):.2f} s ({len(times)} edits)"
            )
        finally:
            subprocess.run(
                [sys.executable, "-m", "deployer", "local", "stop"],
                cwd=project,
                check=False,
                capture_output=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

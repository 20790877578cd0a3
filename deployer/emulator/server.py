"""The emulator's own process: moto's server with our additions, on loopback.

Started detached by `deployer/emulator/control.py` as
`python -m deployer.emulator.server serve --state-dir DIR --port N` (port 0: a free one).
It writes its pid and the port it got to `DIR/server.json` once it listens, and removes
the file when it stops (SIGTERM or SIGINT).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from werkzeug.serving import make_server

from deployer.emulator import app as emulator_app
from deployer.emulator import process as emulator_process
from deployer.emulator.state import HOST, endpoint_for, read_state, remove_state, write_state


def serve(folder: Path, port: int) -> None:
    """Run the patched moto server in this process until SIGTERM (the detached child)."""
    app = emulator_app.build_app(health={"pid": os.getpid(), "state_dir": str(folder)})
    server = make_server(HOST, port, app, threaded=True, request_handler=emulator_app.handler())
    actual_port = server.server_address[1]
    # moto builds some URLs (e.g. presigned S3 URLs) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(actual_port)
    emulator_process.started(folder, endpoint_for(actual_port))
    app.serving()
    write_state(
        folder,
        {"pid": os.getpid(), "port": actual_port, "started_at": time.time(), "host": HOST},
    )

    def _stop(signum: int, _frame: object) -> None:
        print(f"deployer emulator: signal {signum}, stopping", flush=True)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"deployer emulator: serving on {endpoint_for(actual_port)}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        emulator_process.stopping()
        data = read_state(folder)
        if data and data.get("pid") == os.getpid():
            remove_state(folder)


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deployer.emulator.server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="run the patched moto server (used by deployer)")
    serve_cmd.add_argument("--state-dir", required=True, type=Path)
    serve_cmd.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        serve(args.state_dir, args.port)
    except OSError as exc:
        print(f"deployer emulator: cannot listen on {HOST}:{args.port}: {exc}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

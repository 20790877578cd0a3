"""The emulator's own process: moto's server with our additions, on loopback.

Started detached by `deployer/emulator/control.py` as
`python -m deployer.emulator.server serve --state-dir DIR --port N` (port 0: a free one).
It writes its pid and the port it got to `DIR/server.json` once it listens, and removes
the file when it stops (SIGTERM or SIGINT).

The port speaks plain HTTP (the AWS API) and TLS (the Amplify sites' https URLs): each
connection's first byte says which (`deployer/emulator/amplify/tls.py`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import ssl
import sys
import time
from pathlib import Path

from werkzeug.serving import ThreadedWSGIServer

from deployer.emulator import amplify as emulator_amplify
from deployer.emulator import app as emulator_app
from deployer.emulator import process as emulator_process
from deployer.emulator.state import HOST, endpoint_for, read_state, remove_state, write_state


def serve(folder: Path, port: int) -> None:
    """Run the patched moto server in this process until SIGTERM (the detached child)."""
    app = emulator_app.build_app(health={"pid": os.getpid(), "state_dir": str(folder)})
    server = _Server(HOST, port, app, handler=_handler())
    actual_port = server.server_address[1]
    # moto builds some URLs (e.g. presigned S3 URLs) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(actual_port)
    emulator_process.started(folder, endpoint_for(actual_port))
    app.serving()
    server.tls = app.amplify.tls_context()
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


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server, with TLS for the connections that start a handshake."""

    tls: ssl.SSLContext | None = None

    def finish_request(self, request: socket.socket, client_address: object) -> None:
        # Runs in the connection's own thread: a slow handshake holds up no one else.
        connection = emulator_amplify.accept(request, self.tls)
        if connection is None:
            return
        try:
            super().finish_request(connection, client_address)
        except (ssl.SSLError, OSError):
            if connection is request:
                raise
            # A TLS client that left mid-request (werkzeug only forgives this on its own TLS).
        finally:
            if connection is not request:  # the server closes the plain socket itself
                with contextlib.suppress(OSError):
                    connection.close()


def _handler() -> type:
    base = emulator_app.handler()

    class Handler(base):
        """moto's handler; a TLS connection's requests say `https` (the sites need it)."""

        def make_environ(self) -> dict:
            environ = super().make_environ()
            if isinstance(self.connection, ssl.SSLSocket):
                environ["wsgi.url_scheme"] = "https"
            return environ

    return Handler


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

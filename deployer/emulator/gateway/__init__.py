"""API Gateway v2 (HTTP APIs) served by the emulator, with Lambda functions that really run.

`Gateway` is built once per emulator process, on the first request it serves; `install`
patches moto so every new API reports its served URL as its endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from deployer.emulator import process
from deployer.emulator.gateway import invoke_api
from deployer.emulator.gateway.lambdas import Functions
from deployer.emulator.gateway.serve import PREFIX, ExecuteApi, JwtCheck
from deployer.emulator.gateway.serve import install as _serve_apis

__all__ = ["PREFIX", "Gateway", "install"]


def install(gateway: Gateway) -> None:
    """Patch moto: APIs report their served URL, Lambda Invoke runs through `gateway`."""
    _serve_apis()
    invoke_api.install(gateway.functions)


class Gateway:
    """The served APIs and the functions behind them, created when first needed."""

    def __init__(self, jwt_check_factory: Callable[[], JwtCheck]) -> None:
        self._jwt_check_factory = jwt_check_factory
        self._lock = threading.Lock()
        self._app: ExecuteApi | None = None
        self._functions: Functions | None = None

    def functions(self) -> Functions:
        with self._lock:
            if self._functions is None:
                running = process.current()
                if running is None:
                    raise RuntimeError("the gateway runs only inside a serving emulator")
                self._functions = Functions(running.state_dir, running.endpoint)
                process.at_stop(self._functions.stop)
            return self._functions

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if self._app is None:
            functions = self.functions()
            with self._lock:
                if self._app is None:
                    self._app = ExecuteApi(functions, self._jwt_check_factory())
        return self._app(environ, start_response)

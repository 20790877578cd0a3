"""Amplify Hosting in the emulator (moto has none): the API, deployments without a Git
provider, and each branch's site served over HTTPS on the emulator's own port.

`Amplify` is built once per emulator process; its parts start on the first request that
needs them, because they need the serving emulator's folder and endpoint:

- `api`: the REST-JSON API (`api.py`; the state in `backend.py`);
- `uploads`: the upload URLs CreateDeployment hands out (`deployments.py`, `UPLOAD_PREFIX`);
- `site`: the sites, for requests whose host is `<branch>.<app id>.amplifyapp.localhost`
  (`site.py`, `rules.py`);
- `tls_context()`: TLS for those https URLs, sniffed per connection (`tls.py`), with the
  local CA kept in `<state dir>/tls/` across restarts.
"""

from __future__ import annotations

import shutil
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import Any

from deployer.emulator import process
from deployer.emulator.amplify.api import AmplifyApi
from deployer.emulator.amplify.backend import Backend
from deployer.emulator.amplify.deployments import UPLOAD_PREFIX, Deployments
from deployer.emulator.amplify.site import SITE_DOMAIN, Sites, site_host
from deployer.emulator.amplify.tls import SiteTls, accept
from deployer.emulator.certificates import LocalCA

__all__ = ["SITE_DOMAIN", "UPLOAD_PREFIX", "Amplify", "accept", "default_domain"]

FOLDER = "amplify"


def default_domain(app_id: str) -> str:
    """An app's `defaultDomain`: `<app id>.amplifyapp.localhost:<port>` in a serving
    emulator, so `https://<branch>.<defaultDomain>` is where the branch is served."""
    running = process.current()
    port = running.endpoint.rsplit(":", 1)[-1] if running is not None else ""
    return f"{app_id}.{SITE_DOMAIN}:{port}" if port else f"{app_id}.{SITE_DOMAIN}"


class Amplify:
    """The emulator's Amplify: its API, uploads, sites and TLS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: tuple[AmplifyApi, Deployments, Sites] | None = None
        self._tls: SiteTls | None = None

    def is_site(self, environ: dict[str, Any]) -> bool:
        return site_host(environ) is not None

    def api(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        return self._started()[0](environ, start_response)

    def uploads(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        return self._started()[1](environ, start_response)

    def site(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        return self._started()[2](environ, start_response)

    def tls_context(self) -> ssl.SSLContext:
        """The server context for TLS connections (made, with the local CA, when first asked)."""
        with self._lock:
            if self._tls is None:
                self._tls = SiteTls(LocalCA.load_or_create(_running().state_dir))
            return self._tls.context

    def _started(self) -> tuple[AmplifyApi, Deployments, Sites]:
        with self._lock:
            if self._parts is None:
                running = _running()
                folder = running.state_dir / FOLDER
                # Sites of an emulator that stopped: its apps went with it.
                shutil.rmtree(folder, ignore_errors=True)
                backend = Backend()
                deployments = Deployments(backend, folder, lambda: running.endpoint)
                process.at_stop(deployments.close)
                process.at_stop(lambda: shutil.rmtree(folder, ignore_errors=True))
                api = AmplifyApi(backend, deployments, default_domain)
                self._parts = (api, deployments, Sites(backend))
            return self._parts


def _running() -> process.ServerProcess:
    running = process.current()
    if running is None:
        raise RuntimeError("Amplify runs only inside a serving emulator")
    return running

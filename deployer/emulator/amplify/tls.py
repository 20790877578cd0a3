"""TLS on the emulator's one port: the sites are `https://` URLs, the AWS API stays plain.

Each connection is looked at before anyone reads from it (`accept`): a first byte of
0x16 is a TLS handshake record, which is then answered with a certificate of the local CA
(`deployer/emulator/certificates.py`) chosen by the name the client asks for (SNI):
`*.<app id>.amplifyapp.localhost` for a site, `localhost`/127.0.0.1 otherwise. Anything
else is plain HTTP, as before.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import tempfile
import threading
from pathlib import Path

from deployer.emulator.amplify.site import SITE_DOMAIN
from deployer.emulator.certificates import Issued, LocalCA

TLS_HANDSHAKE = 0x16
HANDSHAKE_SECONDS = 10.0


class SiteTls:
    """Server-side TLS contexts: one per app (its wildcard certificate), made when first asked."""

    def __init__(self, ca: LocalCA) -> None:
        self.ca = ca
        self._lock = threading.Lock()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self.context = self._make(ca.issue(["localhost"], ["127.0.0.1"]))
        self.context.sni_callback = self._choose

    def _choose(self, connection: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
        zone = _app_zone(name or "")
        if zone is None:
            return None  # the default certificate: localhost and 127.0.0.1
        with self._lock:
            context = self._contexts.get(zone)
            if context is None:
                context = self._contexts[zone] = self._make(self.ca.issue([f"*.{zone}", zone]))
        connection.context = context
        return None

    @staticmethod
    def _make(issued: Issued) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(["http/1.1"])
        # load_cert_chain reads files only: a private folder, gone right after.
        with tempfile.TemporaryDirectory(prefix="deployer-tls-") as folder:
            cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
            cert.write_bytes(issued.cert)
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(issued.key)
            context.load_cert_chain(cert, key)
        return context


def _app_zone(name: str) -> str | None:
    """`<app id>.amplifyapp.localhost` for a name under it, else None."""
    name = name.lower().rstrip(".")
    suffix = "." + SITE_DOMAIN
    if not name.endswith(suffix):
        return None
    labels = name[: -len(suffix)].split(".")
    return f"{labels[-1]}{suffix}" if labels[-1] else None


def accept(connection: socket.socket, context: ssl.SSLContext | None) -> socket.socket | None:
    """The connection to read the request from: as it is, or TLS once its handshake is done.

    None when a TLS handshake failed (the client left, or does not trust the local CA:
    browsers close the connection and show their warning); the connection is closed."""
    if context is None:
        return connection
    try:
        first = connection.recv(1, socket.MSG_PEEK)
    except OSError:
        return connection  # the handler meets the same error and drops the connection
    if not first or first[0] != TLS_HANDSHAKE:
        return connection
    timeout = connection.gettimeout()
    try:
        connection.settimeout(HANDSHAKE_SECONDS)
        wrapped = context.wrap_socket(connection, server_side=True)
        wrapped.settimeout(timeout)
        return wrapped
    except (ssl.SSLError, OSError):
        with contextlib.suppress(OSError):
            connection.close()
        return None

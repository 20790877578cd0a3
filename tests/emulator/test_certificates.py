"""The emulator's local CA and its certificates (deployer/emulator/certificates.py), checked
by a real TLS handshake with Python's ssl (OpenSSL) as the client."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest

from deployer.emulator.certificates import LocalCA, self_signed


def handshake(issued, trust: bytes, name: str, folder: Path) -> None:
    """A TLS handshake of a client that trusts `trust` with a server showing `issued`."""
    (folder / "cert.pem").write_bytes(issued.cert)
    (folder / "key.pem").write_bytes(issued.key)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=trust.decode())
    ours, theirs = socket.socketpair()

    def serve() -> None:
        try:
            with server.wrap_socket(ours, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client.wrap_socket(theirs, server_hostname=name):
            pass
    finally:
        theirs.close()
        thread.join()


def test_the_ca_is_created_once_and_kept(tmp_path):
    first = LocalCA.load_or_create(tmp_path)
    again = LocalCA.load_or_create(tmp_path)
    assert again.cert_pem == first.cert_pem
    assert first.path == tmp_path / "tls" / "ca.pem"
    assert (tmp_path / "tls" / "ca-key.pem").stat().st_mode & 0o077 == 0


def test_a_damaged_ca_is_replaced(tmp_path):
    first = LocalCA.load_or_create(tmp_path)
    (tmp_path / "tls" / "ca-key.pem").write_text("not a key", encoding="utf-8")
    assert LocalCA.load_or_create(tmp_path).cert_pem != first.cert_pem


def test_leaf_certificates_verify_against_the_ca(tmp_path):
    ca = LocalCA.load_or_create(tmp_path)
    leaf = ca.issue(["*.d123.amplifyapp.localhost", "d123.amplifyapp.localhost"])
    handshake(leaf, ca.cert_pem, "main.d123.amplifyapp.localhost", tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(leaf, ca.cert_pem, "main.d999.amplifyapp.localhost", tmp_path)


def test_the_ca_cannot_vouch_for_a_real_site(tmp_path):
    # Trusting the CA is safe: even a certificate its key signs for a public name fails.
    ca = LocalCA.load_or_create(tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(ca.issue(["example.com"]), ca.cert_pem, "example.com", tmp_path)


def test_a_self_signed_certificate_verifies_as_its_own_root(tmp_path):
    issued = self_signed("127.0.0.2")
    handshake(issued, issued.cert, "localhost", tmp_path)
    handshake(issued, issued.cert, "127.0.0.2", tmp_path)

"""Certificates of the emulator's TLS endpoints: a local certificate authority and the leaf
certificates it signs, plus the self-signed certificate of a single server.

The local CA lives in the emulator's state folder (`tls/ca.pem`, `tls/ca-key.pem`, the key
mode 0600) and is kept across emulator restarts, so a developer who told a browser or a
system store to trust it does so once. Leaf certificates are made in memory whenever a
server needs one (they are cheap and never written down).
"""

from __future__ import annotations

import datetime
import ipaddress
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from deployer.common import atomic_write

CA_FOLDER = "tls"
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
CA_NAME = "deployer local emulator CA"
CA_DAYS = 3650
# Browsers refuse leaf certificates valid for more than 398 days.
LEAF_DAYS = 397

_create_lock = threading.Lock()

# What the CA may sign for: loopback names only. Trusting it (a browser, the system store)
# then never lets its key, which lies in a project folder, vouch for a real site.
_CA_SCOPE = x509.NameConstraints(
    permitted_subtrees=[
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
    ],
    excluded_subtrees=None,
)

# What the CA's key may do: sign certificates (and their revocation lists), nothing else.
_CA_USAGE = x509.KeyUsage(
    digital_signature=True,
    key_cert_sign=True,
    crl_sign=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key, both PEM."""

    cert: bytes
    key: bytes


def self_signed(host: str) -> Issued:
    """A self-signed certificate for localhost, 127.0.0.1 and `host` (an IP address): what a
    client verifies by pinning this very certificate (a database's `sslrootcert`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(host)
    builder = _builder(name, name, key, LEAF_DAYS, ["localhost"], {"127.0.0.1", host})
    cert = builder.add_extension(
        x509.BasicConstraints(ca=True, path_length=None), critical=True
    ).sign(key, hashes.SHA256())
    return Issued(_cert_pem(cert), _key_pem(key))


class LocalCA:
    """The emulator's certificate authority, loaded from (or created in) a state folder."""

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, path: Path):
        self._cert = cert
        self._key = key
        self.path = path  # the CA certificate a client trusts

    @classmethod
    def load_or_create(cls, state_dir: Path) -> LocalCA:
        """The CA of `state_dir/tls/`; created there the first time (kept afterwards)."""
        folder = Path(state_dir) / CA_FOLDER
        cert_path, key_path = folder / CA_FILE, folder / CA_KEY_FILE
        with _create_lock:
            loaded = _load(cert_path, key_path)
            if loaded is not None:
                return cls(*loaded, cert_path)
            key = ec.generate_private_key(ec.SECP256R1())
            name = _name(CA_NAME)
            now = datetime.datetime.now(datetime.UTC)
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(_CA_USAGE, critical=True)
                .add_extension(_CA_SCOPE, critical=True)
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
                )
                .sign(key, hashes.SHA256())
            )
            folder.mkdir(parents=True, exist_ok=True)
            # The key first: a certificate without its key would be useless next start.
            atomic_write(key_path, _key_pem(key), private=True)
            atomic_write(cert_path, _cert_pem(cert))
            return cls(cert, key, cert_path)

    @property
    def cert_pem(self) -> bytes:
        return _cert_pem(self._cert)

    def issue(self, dns_names: Iterable[str], addresses: Iterable[str] = ()) -> Issued:
        """A server certificate signed by this CA for the given names and IP addresses."""
        names = list(dict.fromkeys(dns_names))
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(names[0] if names else next(iter(addresses), "localhost"))
        builder = _builder(subject, self._cert.subject, key, LEAF_DAYS, names, set(addresses))
        cert = (
            builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        return Issued(_cert_pem(cert) + self.cert_pem, _key_pem(key))


def _load(cert_path: Path, key_path: Path) -> tuple | None:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError):
        return None  # absent or damaged: a new CA (the developer trusts it again)
    expires = cert.not_valid_after_utc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or expires < datetime.datetime.now(
        datetime.UTC
    ) + datetime.timedelta(days=LEAF_DAYS):
        return None
    return cert, key


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    days: int,
    dns_names: list[str],
    addresses: set[str],
) -> x509.CertificateBuilder:
    ips = sorted(ipaddress.ip_address(a) for a in addresses)
    alt = [*(x509.DNSName(n) for n in dns_names), *(x509.IPAddress(a) for a in ips)]
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

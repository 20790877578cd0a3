"""An emulated RDS PostgreSQL instance gets a real PostgreSQL server (docs/local.md).

moto's RDS keeps a record of each instance. Installed in the emulator process only (from
`deployer/emulator/patches.py`), CreateDBInstance with engine `postgres` also starts a
server for it (`deployer/emulator/postgres.py`):

- the master user is the instance's MasterUsername; its password is the one in the master
  user secret (ManageMasterUserPassword), else MasterUserPassword. The secret holds the
  instance's master user name and a random password, as on AWS: moto wrote `admin` and one
  fixed password whatever the instance said, so a client reading it could not log in;
- it listens on the port the instance declares, on a loopback address of its own
  (127.0.0.1 when that port is free there, else 127.0.0.2, 127.0.0.3, ...), and
  DescribeDBInstances reports that address as `Endpoint.Address`. The port stays the
  declared one because the AWS provider reads `port` from `Endpoint.Port`: another port
  there would be a change in every plan. Only when no loopback address has the port free
  does the server take a free port, and the log says the next plan will show it;
- TLS always on, with a certificate made for the instance; plain TCP refused when its
  parameter group sets rds.force_ssl = 1, or leaves it unset on PostgreSQL 15 or newer
  (the RDS default), read when the instance is created;
- the DBName database, owned by the master user.

DeleteDBInstance stops the server and removes its folder; so does the emulator's stop.
When the emulator starts, whatever a killed one left under `<state dir>/rds/` is stopped
and removed. Without server binaries the instance stays a record, and one line in the log
(also written to `<state dir>/rds/notice.txt`) says what to install.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from moto.rds.models import DBInstance, MasterUserSecret, RDSBackend

from deployer.emulator import postgres
from deployer.emulator import process as emulator_process
from deployer.emulator.state import NOTICES

NOTICE_FILE = NOTICES.name
_ATTR = "_deployer_postgres"  # the Server of an instance that has one
# Binding can lose a race with another process (another emulator): tries, each a new address.
BIND_ATTEMPTS = 5
_LOOPBACK = ("127.0.0.1", *(f"127.0.0.{n}" for n in range(2, 255)))
# The RDS default for rds.force_ssl when the parameter group leaves it unset.
_FORCE_SSL_FROM_MAJOR = 15

_lock = threading.Lock()
_servers: list[postgres.Server] = []
_taken: set[tuple[str, int]] = set()
_prepared = threading.Lock()
_rds_dir: Path | None = None


def install() -> None:
    """Hook the servers into moto's RDS (called once, by `patches.apply`)."""
    original_create = RDSBackend.create_db_instance
    original_delete = RDSBackend.delete_db_instance
    original_address = DBInstance.address.fget
    original_endpoint = DBInstance.endpoint.fget

    def create_db_instance(self: Any, db_kwargs: dict[str, Any]) -> Any:
        instance = original_create(self, db_kwargs)
        _guarded(_serve, instance)
        return instance

    def delete_db_instance(self: Any, *args: Any, **kwargs: Any) -> Any:
        instance = original_delete(self, *args, **kwargs)
        _guarded(_retire, instance)
        return instance

    def address(self: Any) -> str:
        server = self.__dict__.get(_ATTR)
        return server.host if server else original_address(self)

    def endpoint(self: Any) -> dict[str, Any]:
        reported = original_endpoint(self)
        server = self.__dict__.get(_ATTR)
        if server:
            reported["Port"] = server.port
        return reported

    def secret_string(self: Any) -> str:
        username = getattr(self.resource, "master_username", None) or "postgres"
        return json.dumps({"username": username, "password": secrets.token_urlsafe(24)})

    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.delete_db_instance = delete_db_instance
    DBInstance.address = property(address)
    DBInstance.endpoint = property(endpoint)
    MasterUserSecret._generate_secret_string = secret_string
    emulator_process.at_stop(_stop_all)
    threading.Thread(target=_prepare_when_serving, name="rds-leftovers", daemon=True).start()


def _guarded(step: Any, instance: Any) -> None:
    """Run `step`; an error is the log's, never the RDS call's (the record stays)."""
    try:
        step(instance)
    except Exception as exc:
        traceback.print_exc()
        _say(f"RDS instance {instance.db_instance_identifier}: emulator error: {exc}")


def _say(message: str) -> None:
    print(f"deployer emulator: {message}", flush=True)


# --- create and delete -----------------------------------------------------------------------


def _serve(instance: Any) -> None:
    emulator = emulator_process.current()
    if instance.engine != "postgres" or emulator is None:
        return
    name = instance.db_instance_identifier
    rds_dir = emulator.state_dir / "rds"
    _prepare(rds_dir)
    binaries = postgres.find_binaries()
    if binaries is None:
        places = ", ".join(postgres.SEARCH_PATHS)
        _record_only(
            rds_dir,
            f"RDS instance {name} is only a record: no PostgreSQL server binaries (initdb, "
            f"postgres) on PATH or in {places}; {postgres.INSTALL_HINT}",
        )
        return
    password = _master_password(instance)
    if not password:
        _record_only(rds_dir, f"RDS instance {name} is only a record: it has no master password")
        return
    started = time.monotonic()
    for _attempt in range(BIND_ATTEMPTS):
        host, port = _address(instance.port or 5432)
        spec = postgres.Spec(
            folder=_folder(rds_dir, name),
            host=host,
            port=port,
            user=instance.master_username or "postgres",
            password=password,
            dbname=instance.db_name,
            force_ssl=_force_ssl(instance),
        )
        try:
            server = postgres.start(binaries, spec)
            break
        except postgres.StartError as exc:
            if exc.address_in_use:
                # Another emulator bound it after our check: leave it marked taken, try the
                # next loopback address.
                continue
            _release(host, port)
            _record_only(rds_dir, f"RDS instance {name} is only a record: PostgreSQL: {exc}")
            return
    else:
        _record_only(
            rds_dir,
            f"RDS instance {name} is only a record: PostgreSQL: every address tried was "
            "taken by another process as it started",
        )
        return
    instance.__dict__[_ATTR] = server
    with _lock:
        _servers.append(server)
    tls = "TLS required" if spec.force_ssl else "TLS offered, plain TCP allowed"
    _say(
        f"RDS instance {name}: PostgreSQL ({binaries.folder}) on {host}:{port}, {tls}, "
        f"started in {time.monotonic() - started:.1f} s; folder {spec.folder}"
    )
    if port != instance.port:
        _say(
            f"RDS instance {name}: port {instance.port} is taken on every loopback address, so "
            f"the server listens on {port}: Terraform will read port {port} and plan to "
            f"change it back to {instance.port}; free port {instance.port} and recreate it"
        )


def _retire(instance: Any) -> None:
    server = instance.__dict__.pop(_ATTR, None)
    if server is None:
        return
    with _lock:
        if server in _servers:
            _servers.remove(server)
    server.stop()
    _release(server.host, server.port)
    _say(f"RDS instance {instance.db_instance_identifier}: PostgreSQL stopped, folder removed")


def _record_only(rds_dir: Path, message: str) -> None:
    _say(message)
    with contextlib.suppress(OSError):
        rds_dir.mkdir(parents=True, exist_ok=True)
        with (rds_dir / NOTICE_FILE).open("a", encoding="utf-8") as notice:
            notice.write(message + "\n")


def _master_password(instance: Any) -> str | None:
    secret = getattr(instance, "master_user_secret", None)
    if instance.manage_master_user_password and secret is not None:
        try:
            value = json.loads(secret.secret.secret_string or "{}").get("password")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None
    return instance.__dict__.get("_master_user_password")


def _force_ssl(instance: Any) -> bool:
    group = instance.backend.db_parameter_groups.get(instance.db_parameter_group_name or "")
    parameter = (group.parameters if group else {}).get("rds.force_ssl") or {}
    if parameter.get("ParameterValue") is not None:
        return str(parameter["ParameterValue"]) == "1"
    major = str(instance.engine_version or "").split(".")[0]
    return major.isdigit() and int(major) >= _FORCE_SSL_FROM_MAJOR


def _folder(rds_dir: Path, name: str) -> Path:
    folder, n = rds_dir / name, 1
    while folder.exists() or folder.is_symlink():  # the same identifier in another region
        n += 1
        folder = rds_dir / f"{name}-{n}"
    return folder


def _address(port: int) -> tuple[str, int]:
    """The first loopback address with `port` free, else 127.0.0.1 and a free port."""
    with _lock:
        for host in _LOOPBACK:
            if (host, port) not in _taken and _bindable(host, port):
                _taken.add((host, port))
                return host, port
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            free = sock.getsockname()[1]
        _taken.add(("127.0.0.1", free))
        return "127.0.0.1", free


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as PostgreSQL binds
        try:
            sock.bind((host, port))
        except OSError:  # in use, or not a local address (only 127.0.0.1 on some systems)
            return False
    return True


def _release(host: str, port: int) -> None:
    with _lock:
        _taken.discard((host, port))


# --- emulator start and stop -----------------------------------------------------------------


def _prepare(rds_dir: Path) -> None:
    """Once per emulator, before its first server: remove what a killed emulator left."""
    global _rds_dir
    with _prepared:
        if _rds_dir is not None:
            return
        _rds_dir = rds_dir
        removed = postgres.stop_leftovers(rds_dir)
    if removed:
        _say(f"removed database folders an earlier emulator left in {rds_dir}: {removed}")


def _prepare_when_serving() -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        emulator = emulator_process.current()
        if emulator is not None:
            _guarded_prepare(emulator.state_dir / "rds")
            return
        time.sleep(0.05)


def _guarded_prepare(rds_dir: Path) -> None:
    try:
        _prepare(rds_dir)
    except Exception as exc:
        traceback.print_exc()
        _say(f"could not clean {rds_dir}: {exc}")


def _stop_all() -> None:
    """Stop every server at once (the emulator's stop waits for them), remove the folders."""
    with _lock:
        servers, _servers[:] = list(_servers), []
    threads = [threading.Thread(target=server.stop) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(postgres.STOP_TIMEOUT + 3)
    if _rds_dir is not None:
        (_rds_dir / NOTICE_FILE).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            _rds_dir.rmdir()
    if servers:
        _say(f"stopped {len(servers)} PostgreSQL server(s)")

"""PostgreSQL for tests: the server named by DATABASE_URL, else a throwaway local
PostgreSQL started for the test session and removed at its end; and TimescaleDB:
the server named by TIMESCALEDB_URL, else a second throwaway cluster that preloads
the timescaledb library, when the machine's PostgreSQL has it
(scripts/build-timescaledb.sh installs it), else its tests are skipped.

Both URLs must name a role that may create databases and roles (the tests
create a database per test and the product's roles). The local servers come from
the PostgreSQL binaries of the machine (PG_BINDIR, else /usr/lib/postgresql/15/bin,
else `pg_config --bindir`); as root they run as the `postgres` user, because initdb
refuses to run as root.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

DEBIAN_BINDIR = Path("/usr/lib/postgresql/15/bin")
SERVER_USER = "postgres"
NO_TIMESCALEDB = (
    "TimescaleDB is not installed for this PostgreSQL: run scripts/build-timescaledb.sh"
    " (make timescaledb; it needs the source archive, see the script), or set"
    " TIMESCALEDB_URL to a superuser URL of a TimescaleDB server"
)


def find_bindir() -> Path:
    given = os.environ.get("PG_BINDIR")
    if given:
        return Path(given)
    if (DEBIAN_BINDIR / "initdb").exists():
        return DEBIAN_BINDIR
    found = subprocess.run(
        ["pg_config", "--bindir"], check=True, capture_output=True, text=True
    ).stdout
    return Path(found.strip())


def timescaledb_installed(bindir: Path) -> bool:
    """Whether this PostgreSQL can preload timescaledb (its library and control file)."""
    pg_config = bindir / "pg_config"
    if not pg_config.exists():
        return False
    dirs = subprocess.run(
        [str(pg_config), "--pkglibdir", "--sharedir"], check=True, capture_output=True, text=True
    ).stdout.split()
    pkglibdir, sharedir = (Path(d) for d in dirs)
    return (pkglibdir / "timescaledb.so").exists() and (
        sharedir / "extension" / "timescaledb.control"
    ).exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return command


class LocalServer:
    """One PostgreSQL cluster in its own directory, reachable on 127.0.0.1 only."""

    def __init__(self, workdir: Path, bindir: Path, settings: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.bindir = bindir
        self.settings = settings or {}
        self.port = free_port()
        self.password = secrets.token_hex(16)

    @property
    def url(self) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = as_server_user([str(self.bindir / args[0]), *args[1:]])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.workdir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stderr}\n{tail}")

    def start(self) -> None:
        pwfile = self.workdir / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.workdir, SERVER_USER)
            shutil.chown(pwfile, SERVER_USER)
        data = str(self.workdir / "data")
        self._run(
            "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
            f" -c unix_socket_directories={self.workdir}"
        ) + "".join(f" -c {name}={value}" for name, value in self.settings.items())
        log = str(self.workdir / "server.log")
        # -w: return once the server accepts connections, failing after --timeout seconds.
        self._run("pg_ctl", "start", "-w", "--timeout=60", "-D", data, "-l", log, "-o", options)

    def stop(self) -> None:
        if (self.workdir / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.workdir / "data"))


@contextmanager
def local_server(prefix: str, settings: dict[str, str] | None = None) -> Iterator[str]:
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    server = LocalServer(workdir, find_bindir(), settings)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL of a PostgreSQL superuser (or a role allowed to create databases and roles)."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    with local_server("pg-test-") as url:
        yield url


@pytest.fixture(scope="session")
def timescaledb_url() -> Iterator[str]:
    """Like postgres_url, on a server that preloads TimescaleDB (skips without one).

    A TIMESCALEDB_URL server should run no background jobs
    (timescaledb.max_background_workers=0), for the reason given below."""
    given = os.environ.get("TIMESCALEDB_URL")
    if given:
        yield given
        return
    if not timescaledb_installed(find_bindir()):
        pytest.skip(NO_TIMESCALEDB)
    # Telemetry off: a test server has no business calling home. No background
    # workers: the retention policy would otherwise drop the tests' fixed dates in
    # the past while a test runs; a test runs a policy itself with CALL run_job().
    settings = {
        "shared_preload_libraries": "timescaledb",
        "timescaledb.telemetry_level": "off",
        "timescaledb.max_background_workers": "0",
    }
    with local_server("tsdb-test-", settings) as url:
        yield url


def database_url(server_url: str, dbname: str, **overrides: str) -> str:
    """The connection string for `dbname` on the same server (optionally as another role)."""
    return make_conninfo(server_url, dbname=dbname, **overrides)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A connection string (as the admin role) to an empty database, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A connection string (as the admin role) to an empty database of this test's own."""
    with fresh_database(postgres_url) as url:
        yield url

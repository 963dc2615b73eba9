"""A throwaway PostgreSQL server for the tests (registered in tests/conftest.py).

`postgres_server` (session scope, so one per xdist worker) runs `initdb` into a fresh temporary
folder and starts the server on 127.0.0.1:<free port> with durability off (fsync,
synchronous_commit, full_page_writes); the folder goes at the end of the session. `pg_url` gives
each test a fresh database (`CREATE DATABASE`) and drops it afterwards (`WITH (FORCE)`).

The binaries come from Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin, the
highest version; the README's test command installs it). PostgreSQL refuses to run as root, so as
root `initdb` and `pg_ctl` run as the `postgres` user through `runuser`. Without binaries, without
a way to run them, or when the server does not start, the fixtures skip the test with the reason
("PostgreSQL unavailable: ..."). Every subprocess is bounded by a timeout, and a watchdog process
stops the server and removes its folder should pytest die without its teardown.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

try:
    import psycopg
except ImportError:  # pragma: no cover - psycopg is a dependency; psql is the fallback
    psycopg = None  # type: ignore[assignment]

BIN_GLOB = "/usr/lib/postgresql/*/bin"
USER = "postgres"
START_ATTEMPTS = 3  # a free port may be taken by another process before the server binds it
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "32MB",  # several servers at once (one per xdist worker)
    "log_min_messages": "warning",
}

# Run apart from pytest: waits for pytest's process to end, then stops the server (if still up)
# and removes its folder. Normal teardown does both first; the watchdog then finds nothing to do.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, root, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while os.path.isdir(root):
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
if os.path.isdir(root):
    subprocess.run(stop, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=30, check=False)
    shutil.rmtree(root, ignore_errors=True)
"""


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be run here; the message says why."""


def find_bin_dir(pattern: str) -> Path | None:
    """The highest-versioned folder holding initdb, pg_ctl and psql, if any."""

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.name))

    for folder in sorted(glob.glob(pattern), key=version, reverse=True):
        if all(os.access(Path(folder) / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "psql")):
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(command), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PostgresUnavailable(f"{Path(command[0]).name} ... timed out after {timeout:g}s") from exc
    except OSError as exc:
        raise PostgresUnavailable(f"cannot run {command[0]}: {exc}") from exc


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


class PostgresServer:
    """A running throwaway server: `dsn(name)` is a database's URL, `create_database()` makes one."""

    def __init__(self, bin_dir: Path, root: Path, prefix: list[str]) -> None:
        self.bin_dir = bin_dir
        self.root = root  # owned by the server's user; also holds its Unix socket
        self.data = root / "data"
        self.log = root / "server.log"
        self.port = 0
        self.host = "127.0.0.1"
        self.user = USER
        self.startup_seconds = 0.0
        self._prefix = prefix  # ["runuser", "-u", "postgres", "--"] when root, else []
        self._watchdog: subprocess.Popen[bytes] | None = None

    # -- life cycle ---------------------------------------------------------------------------

    @classmethod
    def start(cls, pattern: str | None = None) -> PostgresServer:
        """initdb and start a server with the binaries `pattern` (BIN_GLOB) finds; raises
        PostgresUnavailable (and leaves nothing behind) if it can't."""
        began = time.monotonic()
        pattern = pattern or BIN_GLOB
        bin_dir = find_bin_dir(pattern)
        if bin_dir is None:
            raise PostgresUnavailable(f"no initdb/pg_ctl/psql in {pattern} (apt-get install postgresql)")
        prefix: list[str] = []
        owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise PostgresUnavailable("running as root and there is no runuser to drop to the postgres user")
            try:
                owner = pwd.getpwnam(USER)
            except KeyError as exc:
                raise PostgresUnavailable(f"running as root and there is no {USER!r} user") from exc
            prefix = [runuser, "-u", USER, "--"]
        # As root, in /tmp: the postgres user must reach the folder, and TMPDIR may be private.
        root = Path(tempfile.mkdtemp(prefix="pgtest-", dir="/tmp" if owner is not None else None))
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        server = cls(bin_dir, root, prefix)
        try:
            server._initdb()
            server._watch()
            server._start()
        except BaseException:
            server.stop()
            raise
        server.startup_seconds = time.monotonic() - began
        return server

    def _initdb(self) -> None:
        done = _run([*self._prefix, str(self.bin_dir / "initdb"), "-D", str(self.data), "-A", "trust",
                     "-U", USER, "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"], timeout=120)
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed ({done.returncode}): {_tail(done.stderr or done.stdout)}")
        settings = {**SETTINGS, "unix_socket_directories": f"'{self.root}'"}
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:  # last setting wins
            conf.write("\n# tests/postgres.py\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _pg_ctl(self, *args: str) -> list[str]:
        return [*self._prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *args]

    def _start(self) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = free_port()
            done = _run(self._pg_ctl("-w", "-t", "30", "-l", str(self.log), "-o", f"-p {self.port}", "start"),
                        timeout=45)
            if done.returncode == 0:
                return
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            if ("could not bind" not in log and "already in use" not in log) or attempt == START_ATTEMPTS:
                raise PostgresUnavailable(
                    f"pg_ctl start failed ({done.returncode}): {_tail(done.stderr or done.stdout)} {_tail(log)}"
                )
            self.log.unlink(missing_ok=True)

    def _watch(self) -> None:
        stop = self._pg_ctl("-m", "immediate", "-w", "-t", "20", "stop")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.root), *stop],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # survives a Ctrl-C sent to pytest's process group
        )

    def stop(self) -> None:
        """Stop the server at once (`-m immediate`) and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable):
                _run(self._pg_ctl("-m", "immediate", "-w", "-t", "20", "stop"), timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)
        if self._watchdog is not None:  # nothing left for it to do
            self._watchdog.kill()
            self._watchdog.wait(timeout=5)
            self._watchdog = None

    # -- databases ----------------------------------------------------------------------------

    def dsn(self, dbname: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A new, empty database with a unique name; returns its URL."""
        name = f"test_{uuid.uuid4().hex[:16]}"
        self.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def drop_database(self, url_or_name: str) -> None:
        """Drop a database by URL or name, closing whatever connections it still has."""
        name = url_or_name.rsplit("/", 1)[-1].split("?", 1)[0]
        if not re.fullmatch(r"\w+", name):
            raise ValueError(f"not a test database name: {name!r}")
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def execute(self, sql: str) -> None:
        """Run one statement (outside a transaction) in the `postgres` maintenance database."""
        if psycopg is not None:
            with psycopg.connect(self.dsn("postgres"), autocommit=True, connect_timeout=10,
                                 options="-c statement_timeout=30000") as conn:
                conn.execute(sql.encode())
            return
        done = _run([str(self.bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host,
                     "-p", str(self.port), "-U", self.user, "-d", "postgres", "-c", sql], timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed ({done.returncode}): {_tail(done.stderr)}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server for this pytest process (each xdist worker has its own); skips if unavailable."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for this test (its URL); dropped afterwards."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)

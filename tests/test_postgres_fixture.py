"""The throwaway PostgreSQL server of tests/postgres.py: it answers, each `pg_url` is its own
database, and where PostgreSQL cannot run the reason is given at once."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, PostgresUnavailable

psycopg = pytest.importorskip("psycopg")


def test_the_server_answers_on_loopback(postgres_server: PostgresServer, pg_url: str) -> None:
    assert pg_url.startswith(f"postgresql://postgres@127.0.0.1:{postgres_server.port}/test_")
    with psycopg.connect(pg_url, connect_timeout=10) as conn:
        row = conn.execute("SELECT current_database(), current_setting('fsync'), current_setting('max_connections')")
        assert row.fetchone() == (pg_url.rsplit("/", 1)[1], "off", "300")


def test_two_databases_are_apart(postgres_server: PostgresServer, pg_url: str) -> None:
    other = postgres_server.create_database()
    try:
        assert other != pg_url
        with psycopg.connect(pg_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute("CREATE TABLE t (x int)")
            conn.execute("INSERT INTO t VALUES (1)")
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
        with psycopg.connect(other, autocommit=True, connect_timeout=10) as conn:
            assert conn.execute("SELECT to_regclass('t')").fetchone() == (None,)
        held = psycopg.connect(other, connect_timeout=10)  # still open: the drop closes it
    finally:
        postgres_server.drop_database(other)
    held.close()
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(other, connect_timeout=10).close()


def test_without_binaries_the_reason_is_given(tmp_path: Path) -> None:
    with pytest.raises(PostgresUnavailable, match="no initdb/pg_ctl/psql in"):
        PostgresServer.start(str(tmp_path / "*" / "bin"))


def test_a_failing_initdb_is_a_reason_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "99" / "bin"
    fake.mkdir(parents=True)
    for tool in ("initdb", "pg_ctl", "psql"):
        (fake / tool).write_text("#!/bin/sh\necho 'initdb: error: out of luck' >&2\nexit 1\n")
        (fake / tool).chmod(0o755)
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(prefix: str, dir: str | None = None) -> str:
        made.append(real_mkdtemp(prefix=prefix, dir=dir))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(PostgresUnavailable, match="initdb failed"):
        PostgresServer.start(str(tmp_path / "*" / "bin"))
    assert len(made) == 1
    assert not Path(made[0]).exists()

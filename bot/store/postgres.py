"""The PostgreSQL side of the store's seam (`db.py`): psycopg 3 with a pool, for several replicas."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from bot.store.db import Leadership, Params, Row, Transaction, check_version
from bot.store.dialect import MIGRATE_LOCK, postgres_script, postgres_sql

log = logging.getLogger(__name__)


class _PgTransaction:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        cursor = await self._conn.execute(postgres_sql(sql), tuple(params))
        return list(await cursor.fetchall())

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._conn.execute(postgres_sql(sql), tuple(params))
        return int(cursor.rowcount)


class PgRow(tuple[Any, ...]):
    """A row by position or by column name, like sqlite3.Row."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[PgRow]:
    """One row class per column list, made once (not for every query)."""
    return type("Row", (PgRow,), {"names": {name: i for i, name in enumerate(names)}})


def _row_factory(cursor: Any) -> Any:
    return _row_class(tuple(column.name for column in cursor.description or ()))


class PostgresDatabase:
    """A psycopg 3 pool in autocommit, prepared statements off (so that PgBouncer's transaction
    mode works); the schema version is a one-row table, migrated under an advisory lock so that
    replicas starting together apply each migration once."""

    shared = True
    lock_rows = "FOR UPDATE SKIP LOCKED"
    greatest = "GREATEST"

    def __init__(self, pool: Any, url: str) -> None:
        self._pool = pool
        self._url = url
        self._locks: dict[int, asyncio.Lock] = {}

    @classmethod
    async def open(cls, url: str, *, max_size: int = 10) -> PostgresDatabase:
        from psycopg_pool import AsyncConnectionPool  # imported only when PostgreSQL is used

        pool = AsyncConnectionPool(
            url,
            min_size=min(2, max_size),
            max_size=max_size,
            kwargs={"autocommit": True, "prepare_threshold": None, "row_factory": _row_factory},
            open=False,
            name="bot-store",
        )
        await pool.open(wait=True, timeout=30.0)
        return cls(pool, url)

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(postgres_sql(sql), tuple(params))
            row: Row | None = await cursor.fetchone()
            return row

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(postgres_sql(sql), tuple(params))
            return list(await cursor.fetchall())

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(postgres_sql(sql), tuple(params))
            return int(cursor.rowcount)

    async def returning(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.all(sql, params)

    async def batch(self, statements: Sequence[tuple[str, Params]]) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            for sql, params in statements:
                await conn.execute(postgres_sql(sql), tuple(params))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._pool.connection() as conn, conn.transaction():
            yield _PgTransaction(conn)

    async def many(self, sql: str, rows: Sequence[Params]) -> None:
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            await cursor.executemany(postgres_sql(sql), [tuple(r) for r in rows])

    @contextlib.asynccontextmanager
    async def exclusive(self, key: int) -> AsyncIterator[None]:
        # One waiter per process at the database (the rest wait here, holding no connection).
        async with self._locks.setdefault(key, asyncio.Lock()), self._pool.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    async def try_lead(self, key: int) -> Leadership | None:
        """A session-level advisory lock on a connection of its own: PostgreSQL frees it the moment
        this process dies (its connection closes), and another replica's next try gets it."""
        import psycopg

        conn = await psycopg.AsyncConnection.connect(
            self._url, autocommit=True, prepare_threshold=None, keepalives_idle=5, keepalives_interval=2,
            keepalives_count=2, tcp_user_timeout=10_000,
        )  # fmt: skip
        try:
            cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))
            row = await cursor.fetchone()
        except BaseException:
            await conn.close()
            raise
        if not row or not row[0]:
            await conn.close()
            return None
        return _PgLeadership(conn)

    async def version(self) -> int:
        row = await self.one("SELECT to_regclass('schema_version') IS NOT NULL")
        if not row or not row[0]:
            return 0
        row = await self.one("SELECT version FROM schema_version")
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Sequence[str]) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            cursor = await conn.execute("SELECT version FROM schema_version")
            row = await cursor.fetchone()
            if row is None:
                await conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            version = int(row[0]) if row else 0
            check_version(version, migrations)
            for number, script in enumerate(migrations[version:], start=version + 1):
                await conn.execute(postgres_script(script))
                await conn.execute("UPDATE schema_version SET version = %s", (number,))
                log.info("database migrated to schema %d", number)

    async def close(self) -> None:
        await self._pool.close()


class _PgLeadership:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def alive(self) -> bool:
        try:
            async with asyncio.timeout(10):
                await self._conn.execute("SELECT 1")
        except Exception:
            return False
        return True

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            await self._conn.close()  # the lock goes with the session

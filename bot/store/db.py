"""The one seam between the store's SQL and a database: SQLite (aiosqlite, the embedded default) or
PostgreSQL (psycopg 3 with a pool, for several replicas). The store writes one dialect: `?`
placeholders, `INSERT … ON CONFLICT`, `RETURNING`; SQLite ≥ 3.35 and PostgreSQL both speak it.
Only the schema's column types differ, and `dialect.py` translates the migrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

log = logging.getLogger(__name__)

Params = Iterable[Any]


class Row(Protocol):
    """A result row: by column name or by position (sqlite3.Row, and ours for PostgreSQL)."""

    def __getitem__(self, key: Any) -> Any: ...

    def keys(self) -> list[str]: ...


class Database(Protocol):
    shared: bool  # several processes may use it at once (PostgreSQL)
    lock_rows: str  # appended to a claim's SELECT: skip rows another process is claiming
    greatest: str  # the larger of two values

    async def one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement, committed; returns the rows it changed."""
        ...

    async def returning(self, sql: str, params: Params = ()) -> list[Row]:
        """One writing statement with RETURNING, committed; returns its rows."""
        ...

    async def batch(self, statements: Sequence[tuple[str, Params]]) -> None:
        """Several statements in one transaction."""
        ...

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Transaction]:
        """Statements that read, decide and write as one step (rows read FOR UPDATE stay locked)."""
        ...

    async def many(self, sql: str, rows: Sequence[Params]) -> None: ...

    def exclusive(self, key: int) -> contextlib.AbstractAsyncContextManager[None]:
        """Held by one caller at a time, across every process sharing the database."""
        ...

    async def migrate(self, migrations: Sequence[str]) -> None: ...

    async def version(self) -> int: ...

    async def try_lead(self, key: int) -> Leadership | None:
        """Become the one process doing `key`'s work (e.g. calling getUpdates), or None when
        another holds it. Held until released, or until this process or its connection dies."""
        ...

    async def close(self) -> None: ...


class Transaction(Protocol):
    async def all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Params = ()) -> int: ...


class _SqliteTransaction:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._db.execute(sql.replace(" FOR UPDATE", ""), params) as cursor:
            return list(await cursor.fetchall())

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._db.execute(sql, params) as cursor:
            return cursor.rowcount


class Leadership(Protocol):
    async def alive(self) -> bool:
        """Still the leader (the connection holding the lock answers)."""
        ...

    async def release(self) -> None: ...


class _Alone:
    """The only process on its database leads everything."""

    async def alive(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class SqliteDatabase:
    """One connection in WAL mode; the schema version is `PRAGMA user_version`."""

    shared = False
    lock_rows = ""  # one writer at a time: nothing to skip
    greatest = "max"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._locks: dict[int, asyncio.Lock] = {}
        self._writing = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> SqliteDatabase:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path)
        db.row_factory = aiosqlite.Row
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            await (await db.execute(f"PRAGMA {pragma}")).close()
        return cls(db)

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._db.execute(sql, params) as cursor:
            row: aiosqlite.Row | None = await cursor.fetchone()
            return row

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    # Writes hold `_writing` from their statement to their commit: a statement with RETURNING is in
    # progress until its rows are read, and a commit (another caller's) meanwhile fails with
    # "cannot commit transaction - SQL statements in progress". Reads need no lock.

    async def execute(self, sql: str, params: Params = ()) -> int:
        # The cursor is closed on aiosqlite's thread: one freed on the event-loop thread resets its
        # (cached) statement while that thread may be running it for another caller.
        async with self._writing:
            async with self._db.execute(sql, params) as cursor:
                changed = cursor.rowcount
            await self._db.commit()
        return changed

    async def returning(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._writing:
            async with self._db.execute(sql, params) as cursor:
                rows: list[Row] = list(await cursor.fetchall())
            await self._db.commit()
        return rows

    async def batch(self, statements: Sequence[tuple[str, Params]]) -> None:
        async with self._writing:
            for sql, params in statements:
                async with self._db.execute(sql, params):
                    pass
            await self._db.commit()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._writing:
            try:
                yield _SqliteTransaction(self._db)
            except BaseException:
                await self._db.rollback()
                raise
            await self._db.commit()

    async def many(self, sql: str, rows: Sequence[Params]) -> None:
        async with self._writing:
            async with self._db.executemany(sql, rows):
                pass
            await self._db.commit()

    @contextlib.asynccontextmanager
    async def exclusive(self, key: int) -> AsyncIterator[None]:
        async with self._locks.setdefault(key, asyncio.Lock()):
            yield

    async def try_lead(self, key: int) -> Leadership | None:
        return _Alone()

    async def version(self) -> int:
        row = await self.one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Sequence[str]) -> None:
        version = await self.version()
        check_version(version, migrations)
        for number, script in enumerate(migrations[version:], start=version + 1):
            await self._db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    async def close(self) -> None:
        await self._db.close()


def check_version(version: int, migrations: Sequence[str]) -> None:
    if version > len(migrations):
        raise RuntimeError(f"database schema {version} is newer than this bot ({len(migrations)})")


async def open_database(url: str | None, path: Path | str) -> Database:
    """PostgreSQL when `url` is given (postgresql:// or postgres://), else SQLite at `path`."""
    if url:
        from bot.store.postgres import PostgresDatabase  # psycopg is imported only when it is used

        return await PostgresDatabase.open(url)
    return await SqliteDatabase.open(path)

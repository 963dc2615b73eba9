"""The SQL helpers every table class shares: one statement at a time on one connection."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import aiosqlite


class Tables:
    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock  # the wall clock of every stamp the store writes (tests may move it)

    async def _one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._db.execute(sql, params) as cursor:
            row: aiosqlite.Row | None = await cursor.fetchone()
            return row

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> tuple[int | None, int]:
        """One statement in its own transaction."""
        result = await self._run(sql, params)
        await self._db.commit()
        return result

    async def _run(self, sql: str, params: Iterable[Any] = ()) -> tuple[int | None, int]:
        """Execute one statement; returns (lastrowid, rowcount). The cursor is closed on
        aiosqlite's thread: a cursor freed on the event-loop thread resets its (cached) statement
        while that thread may be running the same statement for another caller, which fails with
        `sqlite3.InterfaceError: bad parameter or other API misuse`."""
        async with self._db.execute(sql, params) as cursor:
            return cursor.lastrowid, cursor.rowcount

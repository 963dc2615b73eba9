"""The SQL helpers every table class shares, over either database (`db.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.store.db import Database, Params, Row


class Tables:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock  # the wall clock of every stamp the store writes (tests may move it)

    async def _one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        return await self._db.one(sql, params)

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return await self._db.all(sql, params)

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement in its own transaction; returns the rows it changed."""
        return await self._db.execute(sql, params)

    async def _returning(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return await self._db.returning(sql, params)

    async def _batch(self, *statements: tuple[str, Params]) -> None:
        await self._db.batch(statements)


def upsert(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """INSERT a row, or replace the columns of the one with the same `key` (both databases)."""
    changes = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {changes}"
    )

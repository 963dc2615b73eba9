"""People's settings (/settings, /prefer, /fast…), one row per user who changed any."""

from __future__ import annotations

from typing import Any

from bot.store.tables import Tables, upsert

_BOOLEANS = ("raw", "translate", "notify")


class ProfileTable(Tables):
    async def get(self, user_id: int) -> dict[str, Any] | None:
        row = await self._one(
            "SELECT lang, speed, version, ar, stylize, raw, translate, notify, suffix FROM profiles WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        found = {key: row[key] for key in row.keys()}
        return {k: bool(v) if k in _BOOLEANS else v for k, v in found.items()}

    async def save(self, user_id: int, fields: dict[str, Any]) -> None:
        names = list(fields)
        values = [int(v) if k in _BOOLEANS else v for k, v in fields.items()]
        await self._write(
            upsert("profiles", ("user_id", *names, "updated_at"), ("user_id",)),
            [user_id, *values, self._clock()],
        )

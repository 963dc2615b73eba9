"""The operator's records: who may use the bot (run-time /allow and /deny), per-user daily limits,
chat titles for reports, and usage counted from the jobs table (every job is one row there,
with its user, chat, action, mode, outcome and time)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.rows import FINISHED, IN_PROGRESS
from bot.store.tables import Tables, upsert


@dataclass(frozen=True)
class AccessEntry:
    target: int  # a user id, or a chat id (negative for groups)
    allowed: bool
    by: int | None
    created_at: float


@dataclass(frozen=True)
class UsageRow:
    created_at: float
    user_id: int
    user_name: str
    chat_id: int
    chat_title: str | None
    state: str
    reason: str | None


class UsageTable(Tables):
    async def set_access(self, target: int, allowed: bool | None, by: int | None) -> None:
        """Allow or deny `target` at run time; None forgets the entry."""
        if allowed is None:
            await self._write("DELETE FROM access WHERE target = ?", (target,))
            return
        await self._write(
            upsert("access", ("target", "allowed", "by_user", "created_at"), ("target",)),
            (target, int(allowed), by, self._clock()),
        )

    async def access_entries(self) -> list[AccessEntry]:
        rows = await self._all("SELECT * FROM access ORDER BY created_at")
        return [AccessEntry(r["target"], bool(r["allowed"]), r["by_user"], r["created_at"]) for r in rows]

    async def set_daily_limit(self, user_id: int, limit: int | None) -> None:
        if limit is None:
            await self._write("DELETE FROM daily_limits WHERE user_id = ?", (user_id,))
            return
        await self._write(upsert("daily_limits", ("user_id", "daily"), ("user_id",)), (user_id, limit))

    async def daily_limit_of(self, user_id: int) -> int | None:
        row = await self._one("SELECT daily FROM daily_limits WHERE user_id = ?", (user_id,))
        return int(row["daily"]) if row else None

    async def started_since(self, since: float, *, user_id: int | None = None, chat_id: int | None = None) -> int:
        """Jobs started at or after `since` by this user, or in this chat, that did not fail or get
        cancelled (a failure, the bot's or AceData's or a rejected prompt, drew nothing; a cancelled
        job was never sent)."""
        column, value = ("user_id", user_id) if user_id is not None else ("chat_id", chat_id)
        row = await self._one(
            f"SELECT COALESCE(SUM(weight), 0) FROM jobs WHERE {column} = ? AND created_at >= ?"
            " AND state NOT IN ('failed', 'interrupted', 'cancelled')",
            (value, since),
        )
        return int(row[0]) if row else 0

    async def record_suggestion(self, action: str, chat_id: int, user_id: int, first_name: str, weight: int) -> None:
        """A paid /describe or /shorten in the usage ledger: counted against daily limits with its
        weight and shown by /stats. A finished row: no job runs for it (resume never sees it)."""
        now = self._clock()
        await self._write(
            "INSERT INTO jobs (chat_id, chat_type, user_id, first_name, prompt, action, state, weight, created_at,"
            " updated_at, finished_at) VALUES (?, ?, ?, ?, '', ?, 'done', ?, ?, ?, ?)",
            (chat_id, "group" if chat_id < 0 else "private", user_id, first_name, action, weight, now, now, now),
        )

    async def chat_title(self, chat_id: int) -> str | None:
        row = await self._one("SELECT title FROM chats WHERE chat_id = ?", (chat_id,))
        return str(row[0]) if row else None

    async def remember_chat(self, chat_id: int, title: str) -> None:
        await self._write(upsert("chats", ("chat_id", "title"), ("chat_id",)), (chat_id, title))

    async def since(self, since: float) -> list[UsageRow]:
        rows = await self._all(
            "SELECT j.created_at, j.user_id, j.first_name, j.username, j.chat_id, c.title, j.state, j.reason"
            " FROM jobs j LEFT JOIN chats c ON c.chat_id = j.chat_id WHERE j.created_at >= ? ORDER BY j.id",
            (since,),
        )
        return [
            UsageRow(r[0], r[1], r[2] + (f" @{r[3]}" if r[3] else ""), r[4], r[5], r[6], r[7]) for r in rows
        ]

    async def in_progress(self) -> int:
        row = await self._one(f"SELECT COUNT(*) FROM jobs WHERE {IN_PROGRESS}", FINISHED)
        return int(row[0]) if row else 0

"""Who may spend the AceData credit, and how much: the one admission check every job passes.

A request is allowed when the operator's allow-lists (`ALLOWED_USER_IDS`, `ALLOWED_CHAT_IDS`) are
both empty, or the user or the chat is listed there or was allowed at run time (`/allow`), or the
user is an admin. `/deny` refuses a user or chat even when listed (admins excepted). Allowed users
are then held to the caps: jobs in progress at once (`USER_MAX_ACTIVE_JOBS`) and jobs started per
day (`DAILY_LIMIT_PER_USER`, overridable per user with `/limit`; `DAILY_LIMIT_PER_CHAT`). A day
is the operator's (`TZ`), and the counts come from the jobs table, so a restart resets nothing.
Admins are never limited.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.access import AccessConfig, Stats
from bot.core.domain import Allowance, Refusal, Refused
from bot.store import Store
from bot.store.usage import AccessEntry

SHARED_FRESH = 2.0


class Access:
    def __init__(self, store: Store, config: AccessConfig, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._entries: dict[int, bool] | None = None  # run-time /allow (True) and /deny (False)
        self._loaded_at = 0.0

    @property
    def config(self) -> AccessConfig:
        return self._config

    def is_admin(self, user_id: int) -> bool:
        return user_id in self._config.admins

    async def allowed(self, user_id: int, chat_id: int) -> bool:
        if self.is_admin(user_id):
            return True
        entries = await self._runtime()
        if entries.get(user_id) is False or entries.get(chat_id) is False:
            return False
        config = self._config
        if not config.users and not config.chats:
            return True
        return (
            user_id in config.users or chat_id in config.chats or bool(entries.get(user_id)) or bool(entries.get(chat_id))
        )

    async def check(self, user_id: int, chat_id: int) -> Refused | None:
        """Why this user may not start a job in this chat now, or None. Call it with the job
        layer's admission lock held, so that the check and the new job are one step."""
        if self.is_admin(user_id):
            return None
        if not await self.allowed(user_id, chat_id):
            return Refused(Refusal.NOT_ALLOWED)
        config = self._config
        if config.active_per_user and await self._store.active_jobs_of(user_id) >= config.active_per_user:
            return Refused(Refusal.TOO_MANY, config.active_per_user)
        start, resets_at = self.day()
        per_user = await self._daily_limit(user_id)
        usage = self._store.usage
        if per_user and await usage.started_since(start, user_id=user_id) >= per_user:
            return Refused(Refusal.USER_DAILY, per_user, resets_at)
        if config.daily_per_chat and await usage.started_since(start, chat_id=chat_id) >= config.daily_per_chat:
            return Refused(Refusal.CHAT_DAILY, config.daily_per_chat, resets_at)
        return None

    async def _daily_limit(self, user_id: int) -> int:
        override = await self._store.usage.daily_limit_of(user_id)
        return self._config.daily_per_user if override is None else override

    async def today(self, user_id: int, chat_id: int | None) -> Allowance:
        """This user's jobs today and the limits that apply to them (and, given a group, the
        group's count): the same numbers `check` holds them to."""
        start, resets_at = self.day()
        admin = self.is_admin(user_id)
        usage = self._store.usage
        return Allowance(
            used=await usage.started_since(start, user_id=user_id),
            limit=0 if admin else await self._daily_limit(user_id),
            chat_used=await usage.started_since(start, chat_id=chat_id) if chat_id is not None else None,
            chat_limit=self._config.daily_per_chat, active_limit=0 if admin else self._config.active_per_user,
            resets_at=resets_at,
        )  # fmt: skip

    def day(self, now: float | None = None) -> tuple[float, datetime]:
        """The start of today (epoch seconds) and of tomorrow, in the operator's time zone."""
        local = datetime.fromtimestamp(self._clock() if now is None else now, self._config.tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        tomorrow = (midnight + timedelta(days=1, hours=3)).replace(hour=0)  # DST-safe
        return midnight.timestamp(), tomorrow

    # run-time lists and limits (admins only; the handlers check that)

    async def _runtime(self) -> dict[int, bool]:
        """The run-time lists, read once (with replicas: again after `SHARED_FRESH` seconds, so an
        /allow or /deny given to another replica counts here within that time)."""
        stale = self._store.shared and time.monotonic() - self._loaded_at > SHARED_FRESH
        if self._entries is None or stale:
            self._entries = {e.target: e.allowed for e in await self._store.usage.access_entries()}
            self._loaded_at = time.monotonic()
        return self._entries

    async def allow(self, target: int, by: int) -> None:
        await self._store.usage.set_access(target, True, by)
        (await self._runtime())[target] = True

    async def deny(self, target: int, by: int) -> None:
        await self._store.usage.set_access(target, False, by)
        (await self._runtime())[target] = False

    async def entries(self) -> list[AccessEntry]:
        return await self._store.usage.access_entries()

    async def set_limit(self, user_id: int, daily: int | None) -> None:
        await self._store.usage.set_daily_limit(user_id, daily)

    async def stats(self, top: int = 5) -> Stats:
        today, _ = self.day()
        first = today - 6 * 86400
        rows = await self._store.usage.since(first - 3600)  # an hour's slack for a DST change
        days: Counter[str] = Counter()
        failures: Counter[str] = Counter()
        users: Counter[int] = Counter()
        chats: Counter[int] = Counter()
        names: dict[int, str] = {}
        titles: dict[int, str | None] = {}
        for row in rows:
            day = datetime.fromtimestamp(row.created_at, self._config.tz).date().isoformat()
            days[day] += 1
            if row.state in ("failed", "interrupted"):
                failures[row.reason or row.state] += 1
            names[row.user_id] = row.user_name
            titles[row.chat_id] = row.chat_title  # None: no title known (the report says which kind)
            users[row.user_id] += 1
            chats[row.chat_id] += 1
        order = [
            datetime.fromtimestamp(first + 86400 * n + 7200, self._config.tz).date().isoformat() for n in range(7)
        ]
        return Stats(
            today=days[order[-1]],
            days=[(day, days[day]) for day in order],
            failures=failures.most_common(),
            users=[(names[uid], uid, n) for uid, n in users.most_common(top)],
            chats=[(titles[cid], cid, n) for cid, n in chats.most_common(top)],
            waiting=await self._store.usage.in_progress(),
        )

"""The operator's rules and report as plain data: who is listed, the limits, and what /stats shows.
The rules are applied by `bot.features.access`."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class AccessConfig:
    admins: frozenset[int] = frozenset()
    users: frozenset[int] = frozenset()
    chats: frozenset[int] = frozenset()
    daily_per_user: int = 0  # 0: no limit
    daily_per_chat: int = 0
    active_per_user: int = 0
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))


@dataclass(frozen=True)
class Stats:
    today: int
    days: list[tuple[str, int]]  # the last 7 days, oldest first: (YYYY-MM-DD, jobs)
    failures: list[tuple[str, int]]  # reason, count over 7 days, most first
    users: list[tuple[str, int, int]]  # name, id, jobs over 7 days
    chats: list[tuple[str | None, int, int]]  # title (None: unknown), id, jobs over 7 days
    waiting: int  # jobs in progress now

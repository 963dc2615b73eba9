"""Telegram's flood limits count per bot token, so replicas sharing a database keep them together:
before each call the sender books it in the database (one statement for the chat's, the group's
and the bot-wide key, `ReplicaTables.reserve`), and a 429's `retry_after` is written there for every
replica to honour. Each key is paced as a GCRA "theoretical arrival time": the chat's one call a
second (a result may follow at once), a group's 20 a minute spread evenly (so that no 60 s window
holds more than 20 however the replicas' calls fall), and the bot's 30 a second.

The in-process pacers still decide what a replica sends next; this only adds the wait that the
other replicas' calls make necessary. Should the database not answer, the call goes out on the
local pacing alone (one replica's share is within the limits; the log says so)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

log = logging.getLogger(__name__)
SPREAD = 1.05  # a little slack on every spacing: the replicas' clocks and event loops are not exact
GLOBAL_HOLD_CAP = 5.0  # a 429 that looks bot-wide stops every chat for at most this long


class Bookings(Protocol):
    def clock(self) -> float: ...

    async def reserve(self, keys: list[tuple[str, float, float]]) -> float: ...

    async def hold(self, key: str, until: float) -> None: ...


class SharedPace:
    def __init__(
        self, bookings: Bookings, *, chat_interval: float, chat_burst: int, group_per_minute: int, global_per_second: int
    ) -> None:
        self._bookings = bookings
        self._chat = (chat_interval * SPREAD, chat_interval * max(0, chat_burst - 1))
        self._group = 60.0 / group_per_minute * SPREAD
        self._global = 1.0 / global_per_second * SPREAD
        self._failing = False

    def keys(self, chat_id: int) -> list[tuple[str, float, float]]:
        """The chat's own keys (a group's minute too)."""
        keys = [(f"chat:{chat_id}", *self._chat)]
        if chat_id < 0:  # groups and channels
            keys.append((f"group:{chat_id}", self._group, 0.0))
        return keys

    async def before(self, chat_id: int) -> float:
        """Wait until the other replicas' calls leave room for this one; returns the wait. The
        chat's keys first, then the bot's second: booked together, a group's wait of seconds would
        book the bot-wide slot seconds ahead, and every other chat would wait behind it."""
        waited = 0.0
        for keys in (self.keys(chat_id), [("bot", self._global, 0.0)]):
            try:
                wait = await self._bookings.reserve(keys)
            except Exception as exc:
                if not self._failing:
                    log.warning("shared pacing unavailable (%s); pacing this replica alone meanwhile", exc)
                self._failing = True
                return waited
            self._failing = False
            if wait > 0:
                await asyncio.sleep(wait)
                waited += wait
        return waited

    async def hold(self, chat_id: int, seconds: float, *, bot_wide: bool) -> None:
        """Telegram said wait: no replica calls this chat (or, bot-wide, anyone) before then."""
        now = self._bookings.clock()
        try:
            await self._bookings.hold(f"chat:{chat_id}", now + seconds + self._chat[1])  # past its burst too
            if bot_wide:
                await self._bookings.hold("bot", now + min(seconds, GLOBAL_HOLD_CAP))
        except Exception as exc:
            log.warning("could not share a retry_after with the other replicas: %s", exc)

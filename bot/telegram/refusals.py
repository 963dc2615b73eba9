"""How often a group hears "not open to you"."""

from __future__ import annotations

import time

from bot.domain import Refusal, Refused

STRANGER_REPLY_EVERY = 60.0  # seconds between two "not open to you" replies in one group


class RefusalGate:
    """In a group, strangers get at most one "not open to you" reply a minute: a spammer cannot
    make the bot spam the group. Private chats, and refusals of allowed users, always get one."""

    def __init__(self, every: float = STRANGER_REPLY_EVERY) -> None:
        self._every = every
        self._last: dict[int, float] = {}

    def may_reply(self, chat_id: int, refused: Refused) -> bool:
        if chat_id > 0 or refused.why is not Refusal.NOT_ALLOWED:
            return True
        now = time.monotonic()
        if now - self._last.get(chat_id, -self._every) < self._every:
            return False
        self._last = {c: t for c, t in self._last.items() if now - t < self._every}  # stays small
        self._last[chat_id] = now
        return True

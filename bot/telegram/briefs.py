"""Short-lived replies: refusals, warnings and confirmations that tidy themselves away in groups.

In a private chat a reply is the conversation, and it stays. In a group, one person's "daily limit
used up" or "⚠️ --chaos must be…" matters to them for a moment and is clutter for everyone else, so
it deletes itself after `ttl` seconds. A refusal (or an /id) repeated to the same person within that
time edits their earlier one instead of adding another (an identical text costs no call at all), and
what strangers get is capped per group, so a crowd of strangers cannot spend the group's budget
of calls. Deletes and edits go through the sender like everything else: paced, and behind results.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Protocol

from bot.render.spec import Keyboard, MessageSpec
from bot.runtime.tasks import TaskSet

log = logging.getLogger(__name__)

BRIEF_SECONDS = 60.0  # how long a short reply stays in a group
STRANGERS_PER_MINUTE = 5  # different strangers refused in one group a minute; more are not answered
_KEPT = 5000  # live replies remembered at most (each also has its own deletion task)
DELETE_LATER = MessageSpec(body="", delete=True)  # not final: paced behind results and progress


class Chat(Protocol):
    async def post(self, chat_id: int, spec: MessageSpec, reply_to: int | None = None) -> int: ...

    def show(self, chat_id: int, message_id: int, spec: MessageSpec, reply_to: int | None = None) -> None: ...

    def say(self, chat_id: int, text: str, reply_to: int | None = None, keyboard: Keyboard = ()) -> None: ...


@dataclass
class _Live:
    """A short reply in a group: its text, its message once sent, and when it goes."""

    text: str
    expires: float
    message_id: int | None = None
    shown: str = ""
    keyboard: Keyboard = ()


@dataclass
class _Strangers:
    since: float
    seen: set[int] = field(default_factory=set)


class Briefs:
    def __init__(self, chat: Chat, ttl: float = BRIEF_SECONDS) -> None:
        self._chat = chat
        self._ttl = ttl
        self._tasks = TaskSet()
        self._refusals: dict[tuple[int, int, str], _Live] = {}  # (chat, person, kind) → their live reply
        self._strangers: dict[int, _Strangers] = {}  # group → strangers refused this minute
        self._closed = False

    def say(self, chat_id: int, html_text: str, reply_to: int | None = None, keyboard: Keyboard = ()) -> None:
        """A reply that stays in a private chat and deletes itself after a while in a group."""
        if chat_id > 0:
            self._chat.say(chat_id, html_text, reply_to, keyboard)
            return
        self._spawn(_Live(html_text, self._now() + self._ttl, keyboard=keyboard), chat_id, reply_to, None)

    def per_person(
        self, chat_id: int, user_id: int | None, html_text: str, reply_to: int | None, *, kind: str = "refusal",
        stranger: bool = False,
    ) -> bool:
        """A reply of this kind (a refusal, an /id) to one person; in a group a repeat within the time
        edits their earlier one. False when it was not said: a group has heard from too many
        strangers this minute."""
        if chat_id > 0 or user_id is None:
            self._chat.say(chat_id, html_text, reply_to)
            return True
        now = self._now()
        key = (chat_id, user_id, kind)
        live = self._refusals.get(key)
        if live is not None and live.expires > now:
            live.text, live.expires = html_text, now + self._ttl
            if live.message_id is not None and live.shown != html_text:
                live.shown = html_text
                self._chat.show(chat_id, live.message_id, MessageSpec(html_text))
            return True
        if stranger and not self._stranger_may_hear(chat_id, user_id, now):
            return False
        live = self._refusals[key] = _Live(html_text, now + self._ttl)
        self._forget_expired(now)
        self._spawn(live, chat_id, reply_to, key)
        return True

    async def aclose(self) -> None:
        """Stop the pending deletions: those replies simply stay."""
        self._closed = True
        await self._tasks.close()

    # internals

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _stranger_may_hear(self, chat_id: int, user_id: int, now: float) -> bool:
        window = self._strangers.get(chat_id)
        if window is None or now - window.since >= 60.0:
            window = self._strangers[chat_id] = _Strangers(now)
        if user_id not in window.seen and len(window.seen) >= STRANGERS_PER_MINUTE:
            return False
        window.seen.add(user_id)
        return True

    def _forget_expired(self, now: float) -> None:
        if len(self._refusals) > _KEPT:
            self._refusals = {k: v for k, v in self._refusals.items() if v.expires > now}
        if len(self._strangers) > _KEPT:
            self._strangers = {k: v for k, v in self._strangers.items() if now - v.since < 60.0}

    def _spawn(self, live: _Live, chat_id: int, reply_to: int | None, key: tuple[int, int, str] | None) -> None:
        if self._closed:
            self._chat.say(chat_id, live.text, reply_to, live.keyboard)  # shutting down: no deletion to own
            return
        self._tasks.spawn(self._run(live, chat_id, reply_to, key), name=f"brief-{chat_id}")

    async def _run(self, live: _Live, chat_id: int, reply_to: int | None, key: tuple[int, int, str] | None) -> None:
        """Send it, catch up with a newer text that came meanwhile, then delete it when it expires."""
        try:
            live.shown = live.text
            live.message_id = await self._chat.post(chat_id, MessageSpec(live.text, keyboard=live.keyboard), reply_to)
        except Exception:
            log.info("could not send a short reply in chat %s", chat_id, exc_info=True)
            if key is not None and self._refusals.get(key) is live:
                del self._refusals[key]
            return
        if live.shown != live.text:
            live.shown = live.text
            self._chat.show(chat_id, live.message_id, MessageSpec(live.text))
        while (left := live.expires - self._now()) > 0:
            await asyncio.sleep(left)
        if key is not None and self._refusals.get(key) is live:
            del self._refusals[key]
        self._chat.show(chat_id, live.message_id, DELETE_LATER)

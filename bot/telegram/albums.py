"""Albums arrive as separate updates sharing `media_group_id`: collect them for a moment, then act once.

With replicas the photos of one album arrive at different replicas: each keeps its photos in the
database as they come (`remember_album_item`, with the message), and when no new photo has come
for the wait, the one replica that takes the album (`take_album`) acts on all of them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, Message

from bot.store import Store

log = logging.getLogger(__name__)
Complete = Callable[[list[Message]], Awaitable[None]]


class AlbumCollector:
    """Buffers album items per (chat, media_group_id); the `on_complete` given with the last item
    gets them all, in order, once no new item has arrived for `wait` seconds."""

    def __init__(self, wait: float, shared: tuple[Store, Bot] | None = None) -> None:
        self._wait = wait
        self._shared = shared  # the database and the bot, when replicas share the albums
        self._items: dict[tuple[int, str], list[Message]] = {}
        self._done: dict[tuple[int, str], Complete] = {}
        self._timers: dict[tuple[int, str], asyncio.Task[None]] = {}

    def add(self, message: Message, on_complete: Complete) -> None:
        assert message.media_group_id is not None
        key = (message.chat_id, message.media_group_id)
        self._items.setdefault(key, []).append(message)
        self._done[key] = on_complete
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        self._timers[key] = asyncio.get_running_loop().create_task(self._flush(key), name=f"album-{key[1]}")

    async def _flush(self, key: tuple[int, str]) -> None:
        await asyncio.sleep(self._wait)
        gathered = await self._gathered(key) if self._shared is not None else None
        self._timers.pop(key, None)
        messages = sorted(self._items.pop(key, []), key=lambda m: m.message_id) if gathered is None else gathered
        if gathered is not None:
            self._items.pop(key, None)
        on_complete = self._done.pop(key, None)
        if not messages or on_complete is None:
            return
        try:
            await on_complete(messages)
        except Exception:
            log.exception("handling album %s failed", key[1])

    async def _gathered(self, key: tuple[int, str]) -> list[Message]:
        """Every replica's photos of the album once none has come for the wait, if this replica
        is the one to act on it (else none)."""
        assert self._shared is not None
        store, bot = self._shared
        try:
            while (last := await store.replicas.album_last_seen(*key)) is not None:
                quiet = store.replicas.clock() - last
                if quiet >= self._wait:
                    break
                await asyncio.sleep(self._wait - quiet)  # another replica got a photo just now
            if not await store.replicas.take_album(*key, store.owner):
                return []  # another replica acts on it
            return [Message.de_json(json.loads(raw), bot) for raw in await store.replicas.album_messages(*key)]
        except Exception:
            log.exception("gathering album %s failed", key[1])
            return []

    async def aclose(self) -> None:
        timers = list(self._timers.values())
        for timer in timers:
            timer.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*timers, return_exceptions=True)

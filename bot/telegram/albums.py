"""Albums arrive as separate updates sharing `media_group_id`: collect them for a moment, then act once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import Message

log = logging.getLogger(__name__)
Complete = Callable[[list[Message]], Awaitable[None]]


class AlbumCollector:
    """Buffers album items per (chat, media_group_id); the `on_complete` given with the last item
    gets them all, in order, once no new item has arrived for `wait` seconds."""

    def __init__(self, wait: float) -> None:
        self._wait = wait
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
        self._timers.pop(key, None)
        messages = sorted(self._items.pop(key, []), key=lambda m: m.message_id)
        on_complete = self._done.pop(key, None)
        if not messages or on_complete is None:
            return
        try:
            await on_complete(messages)
        except Exception:
            log.exception("handling album %s failed", key[1])

    async def aclose(self) -> None:
        timers = list(self._timers.values())
        for timer in timers:
            timer.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*timers, return_exceptions=True)

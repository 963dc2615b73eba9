"""Watches the event loop for stalls: one slow callback delays every chat's updates.

A task sleeps for a short tick and measures how late it wakes up. Stalls over `warn_ms` are logged
as they happen; the longest one is logged at shutdown (the benchmark reads that line).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

log = logging.getLogger(__name__)


class LoopWatch:
    def __init__(self, tick: float = 0.05, warn_ms: float = 250.0) -> None:
        self._tick = tick
        self._warn_ms = warn_ms
        self.longest_ms = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="loopwatch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        log.info("longest event-loop stall: %.1f ms", self.longest_ms)

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self._tick)
            late_ms = (time.perf_counter() - before - self._tick) * 1000
            if late_ms > self.longest_ms:
                self.longest_ms = late_ms
            if late_ms > self._warn_ms:
                log.warning("event loop stalled for %.0f ms", late_ms)

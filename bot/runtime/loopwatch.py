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
HEALTHY_STALL_MS = 5000.0  # a stall this long makes the process unhealthy for a while


class LoopWatch:
    def __init__(self, tick: float = 0.05, warn_ms: float = 250.0) -> None:
        self._tick = tick
        self._warn_ms = warn_ms
        self.longest_ms = 0.0
        self.last_tick = time.perf_counter()
        self.last_long_stall: float | None = None
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
            now = time.perf_counter()
            late_ms = (now - before - self._tick) * 1000
            self.last_tick = now
            if late_ms >= HEALTHY_STALL_MS:
                self.last_long_stall = now
            if late_ms > self.longest_ms:
                self.longest_ms = late_ms
            if late_ms > self._warn_ms:
                log.warning("event loop stalled for %.0f ms", late_ms)

    def healthy(self, within: float = 30.0) -> bool:
        """The loop ticks, and no stall of seconds happened in the last `within` seconds."""
        now = time.perf_counter()
        if self._task is None or self._task.done() or now - self.last_tick > HEALTHY_STALL_MS / 1000:
            return False
        return self.last_long_stall is None or now - self.last_long_stall > within

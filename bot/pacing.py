"""Send pacing that keeps the bot inside Telegram's flood limits.

`ChatPacer`: at most one call per `interval` in a chat, at most `per_minute` calls in any 60 s in a
group, and nothing at all until a `retry_after` ban has passed. `GlobalBucket`: the bot-wide rate.
Both only compute and sleep; the notifier decides what to send.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

WINDOW = 60.0


class ChatPacer:
    def __init__(self, *, interval: float, per_minute: int | None) -> None:
        self._interval = interval
        self._per_minute = per_minute
        self._recent: deque[float] = deque()
        self._last = -float("inf")
        self.banned_until = 0.0

    def delay(self, now: float | None = None) -> float:
        """Seconds until the next call may go out (0 when it may go now)."""
        now = time.monotonic() if now is None else now
        ready = max(self._last + self._interval, self.banned_until)
        if self._per_minute is not None:
            while self._recent and self._recent[0] <= now - WINDOW:
                self._recent.popleft()
            if len(self._recent) >= self._per_minute:
                ready = max(ready, self._recent[0] + WINDOW)
        return max(0.0, ready - now)

    def record(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._last = now
        if self._per_minute is not None:
            self._recent.append(now)

    def ban(self, seconds: float, now: float | None = None) -> None:
        """Honour a 429: nothing goes to this chat for `seconds` (plus a little slack for clock skew)."""
        now = time.monotonic() if now is None else now
        self.banned_until = max(self.banned_until, now + seconds + 0.05)

    async def wait(self) -> None:
        while (delay := self.delay()) > 0:
            await asyncio.sleep(delay)
        self.record()


class GlobalBucket:
    """Token bucket shared by all chats: `rate` calls per second, bursts up to `rate`."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._tokens = rate
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self._rate, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)

"""Send pacing that keeps the bot inside Telegram's flood limits.

`ChatPacer`: at most one call per `interval` in a chat, at most `per_minute` calls in any 60 s in a
group, and nothing at all until a `retry_after` ban has passed. `GlobalBucket`: the bot-wide rate.
Both take the time from their caller's clock (the event loop's); the sender decides what to send.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

WINDOW = 60.0


class ChatPacer:
    """One call per `interval` on average, in bursts of at most `burst` calls.

    `keep` / `keep_window` hold calls in hand for more important ones: a progress edit waits until
    it would leave a call of the burst (and, in a group, `keep_window` calls of the minute) for a
    result, so a result never queues behind a progress edit. With `burst=1` and nothing kept this
    is a plain "one call per interval" pacer.
    """

    def __init__(self, *, interval: float, per_minute: int | None, burst: int = 1) -> None:
        self._interval = interval
        self._per_minute = per_minute
        self._burst = max(1, burst)
        self._tokens = float(self._burst)
        self._stamp: float | None = None
        self._recent: deque[float] = deque()
        self.banned_until = 0.0

    def _tokens_at(self, now: float) -> float:
        if self._stamp is None or self._interval <= 0:
            return float(self._burst)
        return min(float(self._burst), self._tokens + (now - self._stamp) / self._interval)

    def delay(self, now: float | None = None, *, keep: int = 0, keep_window: int = 0) -> float:
        """Seconds until the next call may go out (0 when it may go now)."""
        now = time.monotonic() if now is None else now
        need = min(1 + keep, self._burst)
        tokens = self._tokens_at(now)
        ready = now if tokens >= need - 1e-9 else now + (need - tokens) * self._interval
        ready = max(ready, self.banned_until)
        if self._per_minute is not None:
            while self._recent and self._recent[0] <= now - WINDOW:
                self._recent.popleft()
            allowed = max(1, self._per_minute - keep_window)
            if len(self._recent) >= allowed:
                ready = max(ready, self._recent[len(self._recent) - allowed] + WINDOW)
        return max(0.0, ready - now)

    def record(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._tokens = self._tokens_at(now) - 1
        self._stamp = now
        if self._per_minute is not None:
            self._recent.append(now)

    def ban(self, seconds: float, now: float | None = None) -> None:
        """Honour a 429: nothing goes to this chat for `seconds` (plus a little slack for clock skew)."""
        now = time.monotonic() if now is None else now
        self.banned_until = max(self.banned_until, now + seconds + 0.05)


class GlobalBucket:
    """Bot-wide limit shared by all chats: at most `rate` calls in any one second.

    A sliding window, not a token bucket: a bucket holding `rate` tokens lets `rate` calls out at
    once and `rate` more as it refills, i.e. up to twice the limit within one second.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic, window: float = 1.1) -> None:
        self._rate = max(1, int(rate))
        self._clock = clock
        # A little more than a second: calls taken a second apart here can reach Telegram closer
        # together (a busy event loop sends one late), and 31 calls in Telegram's second is a 429.
        self._window = window
        self._recent: deque[float] = deque()
        self._lock = asyncio.Lock()  # first come, first served: no herd of chats racing for a slot
        self._banned_until = 0.0

    def busy(self) -> bool:
        """Whether the bot has been calling at (nearly) its whole bot-wide rate just now."""
        now = self._clock()
        return sum(1 for t in self._recent if t > now - self._window) >= max(1, self._rate - 2)

    def ban(self, seconds: float, cap: float = 5.0) -> None:
        """A 429 that looks bot-wide (it came while the bot used its whole rate): no chat calls
        until it has passed, not only the chat that heard it. At most `cap` seconds for everyone:
        a group's own minute can say wait 40 s, and other chats must not wait for that (if the
        limit was bot-wide after all, the next 429 says so again)."""
        self._banned_until = max(self._banned_until, self._clock() + min(seconds, cap))

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._banned_until:
                    await asyncio.sleep(self._banned_until - now)
                    continue
                while self._recent and self._recent[0] <= now - self._window + 1e-6:  # float-safe
                    self._recent.popleft()
                if len(self._recent) < self._rate:
                    self._recent.append(now)
                    return
                await asyncio.sleep(max(self._recent[0] + self._window - now, 1e-3))

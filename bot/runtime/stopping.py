"""The one shutdown stack, with a bound: once the stop's deadline has passed, each step still to
run gets only a moment (and is skipped, logged, when it takes longer), so the whole stop ends
within SHUTDOWN_TIMEOUT_SECONDS plus a moment a step, not whenever its slowest part allows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

log = logging.getLogger(__name__)
GRACE = 0.25  # seconds a step still gets once the deadline has passed (closing a database is quick)


class StopStack(AsyncExitStack):
    """An `AsyncExitStack` whose async callbacks run under the stop's deadline (set `deadline`,
    in the event loop's time, before unwinding it)."""

    deadline: float | None = None

    def push_async_callback(
        self, callback: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any
    ) -> Callable[..., Awaitable[Any]]:
        async def bounded() -> None:
            now = asyncio.get_running_loop().time()
            until = None if self.deadline is None else max(self.deadline, now + GRACE)
            try:
                async with asyncio.timeout_at(until):
                    await callback(*args, **kwargs)
            except TimeoutError:
                name = getattr(callback, "__qualname__", repr(callback))
                log.error("stopping: %s did not finish in time; left as it is", name)

        super().push_async_callback(bounded)
        return callback

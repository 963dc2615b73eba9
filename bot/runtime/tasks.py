"""Owned background work: the one place tasks are spawned, kept, reaped and cancelled.

A task whose reference is dropped can be garbage-collected mid-flight, and an exception in it
vanishes silently; every long-lived service keeps its tasks in a `TaskSet` instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from contextvars import Context
from typing import Any

log = logging.getLogger(__name__)


class Closed(RuntimeError):
    """Work offered to a `TaskSet` (or the chat's sender) after it was closed: nobody would own it."""


class TaskSet:
    """Tasks kept until they end; a failure is logged with its traceback; `close()` cancels the rest
    and refuses new ones from then on."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    def spawn(
        self, coro: Coroutine[Any, Any, Any], name: str | None = None, context: Context | None = None
    ) -> asyncio.Task[Any]:
        if self._closed:
            coro.close()  # never started: no "coroutine was never awaited" warning either
            raise Closed(f"not starting {name or getattr(coro, '__qualname__', 'a task')}: shutting down")
        task = asyncio.get_running_loop().create_task(coro, name=name, context=context)
        self._tasks.add(task)
        task.add_done_callback(self._reap)
        return task

    def _reap(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    def tasks(self) -> list[asyncio.Task[Any]]:
        return list(self._tasks)

    async def close(self) -> None:
        """Cancel every task still running and wait until all have ended. If the closer itself is
        cancelled meanwhile, that cancellation goes on (it is not swallowed)."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

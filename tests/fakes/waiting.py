"""Polling helpers shared by every fake.

Bots react asynchronously, so tests wait for an observable effect instead of sleeping a fixed
time. `wait_for` returns the predicate's (truthy) value so a test can write
``msg = tg.wait_for(lambda: tg.bot_messages(chat_id))``. A predicate that raises (IndexError,
KeyError ...) counts as "not yet"; the last exception is reported if the wait times out.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_INTERVAL = 0.02


def _probe(predicate: Callable[[], T]) -> tuple[T | None, BaseException | None]:
    try:
        return predicate(), None
    except Exception as exc:
        return None, exc


def _describe_predicate(predicate: Callable[[], object]) -> str:
    try:
        source = inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        source = repr(predicate)
    return source if len(source) <= 300 else source[:300] + "..."


def timeout_message(
    predicate: Callable[[], object],
    timeout: float,
    last_value: object,
    last_error: BaseException | None,
    describe: Callable[[], str] | None,
) -> str:
    """Build the AssertionError text: what was awaited, what it last returned, the fake's state."""
    lines = [f"condition not met within {timeout:.1f}s: {_describe_predicate(predicate)}"]
    if last_error is not None:
        lines.append(f"last attempt raised {last_error!r}")
    else:
        lines.append(f"last value: {last_value!r}"[:500])
    if describe is not None:
        lines.append(describe())
    return "\n".join(lines)


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    *,
    describe: Callable[[], str] | None = None,
) -> T:
    """Block the calling thread until ``predicate()`` is truthy; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value, error = _probe(predicate)
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(timeout_message(predicate, timeout, value, error, describe))
        time.sleep(POLL_INTERVAL)

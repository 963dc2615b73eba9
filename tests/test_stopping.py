"""The shutdown stack's bound (bot/runtime/stopping.py) on looptime's fake clock: past the stop's
deadline each step left gets only a moment, so a slow step cannot hold the process."""

from __future__ import annotations

import asyncio

import pytest

from bot.runtime.stopping import GRACE, StopStack
from bot.telegram.request import method_label

pytestmark = pytest.mark.looptime


async def test_steps_past_the_deadline_get_only_a_moment() -> None:
    done: list[str] = []

    async def step(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        done.append(name)

    stack = StopStack()
    stack.push_async_callback(step, "database", 0.01)  # pushed first: closed last
    stack.push_async_callback(step, "web server", 3.0)
    stack.push_async_callback(step, "sender", 10.0)
    loop = asyncio.get_running_loop()
    began = loop.time()
    stack.deadline = began + 1.0
    await stack.aclose()
    assert loop.time() - began <= 1.0 + 2 * GRACE + 0.01
    assert done == ["database"], "the slow steps were left, the quick one still ran"


def test_telegram_method_labels_are_a_small_set() -> None:
    base = "https://api.telegram.org/bot123:SECRET"
    assert method_label(f"{base}/sendMessage") == "sendMessage"
    assert method_label("https://api.telegram.org/file/bot123:SECRET/photos/file_7.jpg") == "file"
    assert method_label(f"{base}/weird-name.json") == "other"

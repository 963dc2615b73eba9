"""Replicas keep Telegram's limits together: three senders (three replicas) book their calls in one
shared ledger (the same GCRA arithmetic as `ReplicaTables.reserve`, in memory, on looptime's clock)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.render.spec import MessageSpec
from bot.telegram.sender import Limits, Sender
from bot.telegram.shared_pacing import SharedPace
from tests.test_sender import Recorder

pytestmark = pytest.mark.looptime
REAL = Limits()


class Ledger:
    """The database's pacing table, in memory."""

    def __init__(self) -> None:
        self.tat: dict[str, float] = {}
        self.fail = False

    def clock(self) -> float:
        return asyncio.get_running_loop().time()

    async def reserve(self, keys: list[tuple[str, float, float]]) -> float:
        if self.fail:
            raise ConnectionError("database down")
        now = self.clock()
        at = max([now, *(self.tat.get(key, 0.0) - burst for key, _, burst in keys)])
        for key, step, _ in keys:
            self.tat[key] = max(self.tat.get(key, 0.0), at) + step
        return at - now

    async def hold(self, key: str, until: float) -> None:
        self.tat[key] = max(self.tat.get(key, 0.0), until)


def _pace(ledger: Ledger) -> SharedPace:
    return SharedPace(ledger, chat_interval=REAL.chat_interval, chat_burst=REAL.chat_burst,
                      group_per_minute=REAL.group_per_minute, global_per_second=REAL.global_per_second)  # fmt: skip


def _most_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_three_replicas_keep_one_groups_limits_together() -> None:
    ledger = Ledger()
    perform = Recorder()
    senders = [Sender(REAL, perform, shared=_pace(ledger)) for _ in range(3)]
    for n, sender in enumerate(senders):  # every replica has ten new messages for the same group
        for i in range(10):
            sender.send(-100, MessageSpec(f"r{n} m{i}", final=True), None, None)
    await asyncio.sleep(120)
    times = sorted(c.at for c in perform.calls)
    assert len(times) == 30
    assert _most_in_window(times, 60.0) <= REAL.group_per_minute
    assert min(b - a for a, b in itertools.pairwise(times)) >= REAL.chat_interval - 1e-6
    for sender in senders:
        await sender.aclose()


async def test_private_chats_are_paced_per_chat_and_bot_wide() -> None:
    ledger = Ledger()
    perform = Recorder()
    senders = [Sender(REAL, perform, shared=_pace(ledger)) for _ in range(3)]
    for sender in senders:
        for chat in range(1, 41):  # 40 chats, one message each, from every replica: 120 calls
            sender.send(chat, MessageSpec(f"hi {chat}", final=True), None, None)
    await asyncio.sleep(30)
    times = sorted(c.at for c in perform.calls)
    assert len(times) == 120
    assert _most_in_window(times, 1.0) <= REAL.global_per_second
    for chat in range(1, 41):  # a chat takes a second call at once (a result after a call), no third
        mine = sorted(c.at for c in perform.calls if c.chat_id == chat)
        assert mine[2] - mine[0] >= REAL.chat_interval - 1e-6
    for sender in senders:
        await sender.aclose()


async def test_a_retry_after_heard_by_one_replica_holds_the_others() -> None:
    ledger = Ledger()
    perform = Recorder()
    first, second = Sender(REAL, perform, shared=_pace(ledger)), Sender(REAL, perform, shared=_pace(ledger))
    perform.refuse = [12.0]
    first.send(5, MessageSpec("one", final=True), None, None)
    await asyncio.sleep(0.5)
    second.send(5, MessageSpec("two", final=True), None, None)
    await asyncio.sleep(30)
    ban_from, ban_until = perform.bans[0]
    later = [c.at for c in perform.calls if c.at > ban_from]
    assert len(later) == 2 and all(t >= ban_until - 1e-6 for t in later)  # "one" again, and "two"
    for sender in (first, second):
        await sender.aclose()


async def test_calls_go_on_when_the_database_does_not_answer() -> None:
    ledger = Ledger()
    ledger.fail = True
    perform = Recorder()
    sender = Sender(REAL, perform, shared=_pace(ledger))
    sender.send(5, MessageSpec("still sent", final=True), None, None)
    await asyncio.sleep(2)
    assert [c.body for c in perform.calls] == ["still sent"]
    await sender.aclose()

import asyncio

import pytest

from bot.telegram.pacing import ChatPacer, GlobalBucket


def test_private_chat_interval() -> None:
    pacer = ChatPacer(interval=1.0, per_minute=None)
    assert pacer.delay(now=100.0) == 0
    pacer.record(now=100.0)
    assert round(pacer.delay(now=100.4), 3) == 0.6
    assert pacer.delay(now=101.0) == 0


def test_group_window_of_twenty_per_minute() -> None:
    pacer = ChatPacer(interval=1.0, per_minute=20)
    for i in range(20):
        now = 100.0 + i
        assert pacer.delay(now=now) == 0
        pacer.record(now=now)
    assert round(pacer.delay(now=120.0), 3) == 40.0  # the first call leaves the window at 160
    assert pacer.delay(now=160.0) == 0


def test_retry_after_ban_wins() -> None:
    pacer = ChatPacer(interval=1.0, per_minute=None)
    pacer.ban(5, now=10.0)
    assert pacer.delay(now=12.0) > 3.0
    assert pacer.delay(now=15.1) == 0


def test_burst_slot_is_kept_for_results() -> None:
    pacer = ChatPacer(interval=1.0, per_minute=None, burst=2)
    pacer.record(now=100.0)
    assert pacer.delay(now=100.1) == 0, "a result may use the second slot at once"
    assert round(pacer.delay(now=100.1, keep=1), 3) == 0.9, "progress leaves that slot free"


def test_group_minute_reserve_for_open_jobs() -> None:
    pacer = ChatPacer(interval=0.0, per_minute=20)
    for i in range(15):
        pacer.record(now=100.0 + i)
    assert pacer.delay(now=115.0) == 0
    assert pacer.delay(now=115.0, keep_window=5) > 0, "five results still to come keep five calls"


@pytest.mark.looptime
async def test_global_window_never_exceeds_the_rate() -> None:
    loop = asyncio.get_running_loop()
    bucket = GlobalBucket(5, loop.time)
    stamps = []
    for _ in range(12):
        await bucket.take()
        stamps.append(loop.time())
    for i in range(len(stamps) - 5):
        assert stamps[i + 5] - stamps[i] >= 0.99


@pytest.mark.looptime
async def test_a_429_while_the_bot_uses_its_whole_rate_holds_every_chat() -> None:
    loop = asyncio.get_running_loop()
    bucket = GlobalBucket(5, loop.time)
    assert not bucket.busy()
    for _ in range(5):
        await bucket.take()
    assert bucket.busy(), "the whole rate, just now: a 429 now is most likely bot-wide"
    bucket.ban(3.0)
    began = loop.time()
    await bucket.take()
    assert loop.time() - began >= 3.0 - 1e-6

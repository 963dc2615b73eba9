"""The per-chat scheduler's rules on a fake clock (looptime: the event loop's time is virtual and
jumps ahead whenever every task waits), with a recording `perform` instead of the Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.render.spec import MessageSpec
from bot.telegram.sender import Edit, Limits, Operation, RetryLater, Send, Sender

pytestmark = pytest.mark.looptime

REAL = Limits()  # Telegram's limits: 1/s per chat (burst 2), 20/min per group, 30/s overall, 4 s progress


@dataclass
class Call:
    at: float
    chat_id: int
    op: Operation

    @property
    def body(self) -> str | None:
        spec = self.op.spec
        return spec.body if spec is not None else None


class Recorder:
    """Performs operations instantly, recording the (virtual) time; `refuse` scripts 429s."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.refuse: list[float] = []  # retry_after of the next calls
        self.bans: list[tuple[float, float]] = []  # (from, until)
        self._next_id = 100

    async def __call__(self, chat_id: int, op: Operation) -> int:
        now = asyncio.get_running_loop().time()
        self.calls.append(Call(now, chat_id, op))
        if self.refuse:
            seconds = self.refuse.pop(0)
            self.bans.append((now, now + seconds))
            raise RetryLater(seconds)
        if isinstance(op, Send):
            self._next_id += 1
            return self._next_id
        return op.message_id

    def bodies(self, message_id: int) -> list[str | None]:
        return [c.body for c in self.calls if isinstance(c.op, Edit) and c.op.message_id == message_id]


def now() -> float:
    return asyncio.get_running_loop().time()


def progress(n: int) -> MessageSpec:
    return MessageSpec(f"{n}%")


def final(text: str = "done") -> MessageSpec:
    return MessageSpec(text, final=True)


async def settle(seconds: float = 120.0) -> None:
    await asyncio.sleep(seconds)


async def test_only_the_newest_progress_state_of_a_message_is_sent() -> None:
    perform = Recorder()
    sender = Sender(REAL, perform)
    sender.edit(1, 50, progress(1))  # goes at once: the message was never edited
    await asyncio.sleep(0)
    for n in range(2, 41):  # 39 states within the progress interval: only the newest survives
        sender.edit(1, 50, progress(n))
        await asyncio.sleep(0.05)
    await settle(10)
    assert perform.bodies(50) == ["1%", "40%"]
    gap = [c.at for c in perform.calls]
    assert gap[1] - gap[0] >= REAL.progress_interval - 1e-6
    await sender.aclose()


async def test_a_final_state_replaces_pending_progress_and_is_never_overwritten_by_it() -> None:
    perform = Recorder()
    sender = Sender(REAL, perform)
    sender.edit(1, 50, progress(1))
    await asyncio.sleep(0)
    sender.edit(1, 50, progress(2))
    sender.edit(1, 50, final())
    sender.edit(1, 50, progress(3))  # late progress after the result: ignored
    await settle(10)
    assert perform.bodies(50) == ["1%", "done"]
    await sender.aclose()


async def test_results_go_before_progress_waiting_for_the_same_chat() -> None:
    perform = Recorder()
    sender = Sender(REAL, perform)
    for message_id in (50, 51, 52):  # three messages' first progress, then a result for another
        sender.edit(1, message_id, progress(10))
    sender.edit(1, 60, final("result"))
    await settle(10)
    assert perform.calls[0].body == "result"
    await sender.aclose()


async def test_a_result_may_take_the_place_of_its_jobs_first_message_not_yet_sent() -> None:
    """One call instead of two, and the result goes before other new messages; a message already
    sent cannot be changed this way."""
    perform = Recorder()
    sender = Sender(REAL, perform)
    sent = [asyncio.get_running_loop().create_future() for _ in range(3)]
    sends = [sender.send(1, MessageSpec(f"first {n}"), None, sent[n]) for n in range(3)]
    await asyncio.sleep(0)
    assert not sender.upgrade(1, sends[0], final("too late")), "the first one is on its way already"
    assert sender.upgrade(1, sends[2], final("result 2"))
    await settle(10)
    assert [c.body for c in perform.calls] == ["first 0", "result 2", "first 1"]
    assert all(f.done() for f in sent)
    await sender.aclose()


async def test_a_first_message_shows_the_newest_state_when_it_goes_out() -> None:
    """A queued first message (a job's "waiting, ✖ Cancel") that the chat's pacing holds back goes
    out showing the state its job reached meanwhile, not the one it was queued with."""
    perform = Recorder()
    sender = Sender(REAL, perform)
    sends = [sender.send(1, MessageSpec(f"waiting {n} ✖"), None, None) for n in range(4)]
    await asyncio.sleep(0.5)
    assert sender.upgrade(1, sends[3], MessageSpec("job 3 submitted"))
    assert sender.upgrade(1, sends[3], MessageSpec("job 3 at 40%")), "any number of times until it goes"
    await settle(10)
    assert [c.body for c in perform.calls] == ["waiting 0 ✖", "waiting 1 ✖", "waiting 2 ✖", "job 3 at 40%"]
    assert not sender.upgrade(1, sends[3], MessageSpec("job 3 at 80%")), "sent: an edit's job now"
    await sender.aclose()


async def test_a_message_someone_is_tapping_is_redrawn_at_the_chats_pace() -> None:
    """A picker or a settings panel is not progress: its next state goes as soon as the chat allows
    (1/s), not after the progress interval; states that pile up meanwhile still coalesce."""
    perform = Recorder()
    sender = Sender(REAL, perform)
    sender.edit(1, 70, MessageSpec("tap 1", interactive=True))
    await asyncio.sleep(0.01)
    sender.edit(1, 70, MessageSpec("tap 2", interactive=True))
    sender.edit(1, 70, MessageSpec("tap 3", interactive=True))
    await settle(10)
    assert perform.bodies(70) == ["tap 1", "tap 3"]
    gap = perform.calls[1].at - perform.calls[0].at
    assert REAL.chat_interval - 1e-6 <= gap < REAL.progress_interval, gap
    await sender.aclose()


async def test_progress_keeps_a_call_of_the_burst_for_a_result() -> None:
    perform = Recorder()
    sender = Sender(REAL, perform)
    sender.send(1, MessageSpec("job message"), None, None)
    await asyncio.sleep(0)
    start = now()
    sender.edit(1, 50, progress(10))  # would leave no call in hand: waits for a second token
    await asyncio.sleep(0.1)
    assert len(perform.calls) == 1
    sender.edit(1, 51, final("result"))  # a result may use the burst's second call at once
    await asyncio.sleep(0.01)
    assert [c.body for c in perform.calls] == ["job message", "result"]
    await settle(10)
    assert perform.calls[2].body == "10%" and perform.calls[2].at - start >= 1.0
    await sender.aclose()


async def test_group_progress_leaves_the_minute_to_results_still_to_come() -> None:
    limits = Limits(chat_interval=0.0, group_per_minute=5, progress_interval=0.0)
    perform = Recorder()
    sender = Sender(limits, perform)
    for message_id in (50, 51, 52):
        sender.awaiting_result(-5, message_id, True)
    for n in range(10):  # progress may use only 5 - 3 = 2 calls of the minute
        sender.edit(-5, 50 + n % 3, progress(n))
        await asyncio.sleep(0.1)
    assert len(perform.calls) == 2
    for message_id in (50, 51, 52):
        sender.awaiting_result(-5, message_id, False)
        sender.edit(-5, message_id, final(f"result {message_id}"))
    await asyncio.sleep(0.5)
    assert sorted(str(c.body) for c in perform.calls[2:]) == ["result 50", "result 51", "result 52"]
    await sender.aclose()


async def test_retry_after_is_honoured_and_nothing_is_sent_during_the_ban() -> None:
    perform = Recorder()
    perform.refuse = [7.0]
    sender = Sender(REAL, perform)
    sender.edit(1, 50, final("result"))
    await asyncio.sleep(0)
    sender.send(1, MessageSpec("hello"), None, None)
    await settle(30)
    start, until = perform.bans[0]
    inside = [c for c in perform.calls[1:] if c.at < until]
    assert inside == [], "no call was made inside the retry_after"
    assert [c.body for c in perform.calls] == ["result", "result", "hello"], "the refused call is retried"
    assert perform.calls[1].at - start >= 7.0
    await sender.aclose()


async def test_a_group_gets_at_most_twenty_calls_a_minute() -> None:
    perform = Recorder()
    sender = Sender(REAL, perform)
    for i in range(45):
        sender.send(-5, MessageSpec(f"hello {i}"), None, None)
    await settle(200)
    stamps = [c.at for c in perform.calls]
    assert len(stamps) == 45, "everything goes out in the end"
    for i in range(len(stamps) - 20):
        assert stamps[i + 20] - stamps[i] >= 60.0 - 1e-6, f"21 calls within a minute at {i}"
    assert stamps[20] - stamps[0] < 62, "and no slower than the limit"
    await sender.aclose()


async def test_a_busy_group_does_not_hold_back_a_private_chat() -> None:
    perform = Recorder()
    sender = Sender(REAL, perform)
    for i in range(25):
        sender.send(-5, MessageSpec(f"group {i}"), None, None)
    await asyncio.sleep(30)
    sender.send(42, MessageSpec("private"), None, None)
    await asyncio.sleep(0.01)
    assert perform.calls[-1].chat_id == 42
    await sender.aclose()


async def test_the_whole_bot_stays_under_thirty_calls_a_second() -> None:
    perform = Recorder()
    sender = Sender(REAL, perform)
    for chat_id in range(1, 101):
        sender.send(chat_id, MessageSpec("hi"), None, None)
    await settle(10)
    stamps = sorted(c.at for c in perform.calls)
    assert len(stamps) == 100
    for i in range(len(stamps) - 30):
        assert stamps[i + 30] - stamps[i] >= 1.0 - 1e-6
    await sender.aclose()


async def test_a_failed_call_fails_its_waiters_and_the_chat_goes_on() -> None:
    async def perform(chat_id: int, op: Operation) -> int:
        if isinstance(op, Send) and op.spec.body == "boom":
            raise ValueError("refused")
        return 7

    sender = Sender(REAL, perform)
    loop = asyncio.get_running_loop()
    failed: asyncio.Future[int] = loop.create_future()
    fine: asyncio.Future[int] = loop.create_future()
    sender.send(1, MessageSpec("boom"), None, failed)
    sender.send(1, MessageSpec("fine"), None, fine)
    with pytest.raises(ValueError):
        await failed
    assert await fine == 7
    await sender.aclose()


def _keyboard_only(perform: Recorder) -> Callable[[], list[object]]:
    return lambda: [c.op.markup for c in perform.calls if isinstance(c.op, Edit) and c.op.spec is None]


async def test_a_keyboard_change_joins_a_pending_state() -> None:
    perform = Recorder()
    sender = Sender(REAL, perform)
    sender.send(1, MessageSpec("first"), None, None)
    sender.edit(1, 50, progress(1))  # waits behind the send
    sender.edit(1, 50, None, markup=())  # a keyboard change for the same message rides along
    await settle(10)
    assert _keyboard_only(perform)() == [] and perform.bodies(50) == ["1%"]
    await sender.aclose()


async def test_quiet_chats_are_forgotten_but_not_while_banned() -> None:
    import bot.telegram.sender as module

    perform = Recorder()
    sender = Sender(REAL, perform)
    perform.refuse = [600.0]  # chat 1 is banned for ten minutes
    sender.send(1, MessageSpec("banned"), None, None)
    for chat_id in range(2, module._CHATS_KEPT + 1):
        sender.send(chat_id, MessageSpec("hi"), None, None)
    await asyncio.sleep(200)
    sender.send(99_999, MessageSpec("one more chat"), None, None)  # past the cap: quiet chats go
    await asyncio.sleep(0.01)
    assert 1 in sender._chats, "a chat still banned keeps its ban"
    assert len(sender._chats) == 2
    await settle(600)
    assert all(c.at >= perform.bans[0][1] for c in perform.calls[1:] if c.chat_id == 1)
    await sender.aclose()


async def test_closing_drops_pending_progress_but_sends_results() -> None:
    """A stopping bot's jobs are resumed elsewhere: a progress edit it still held would land after
    the other one's result and hide it, so only results (and new messages) go out at the close."""
    perform = Recorder()
    sender = Sender(REAL, perform)
    sender.edit(1, 50, progress(1))
    sender.edit(1, 60, progress(1))
    await settle(2)
    sender.edit(1, 50, progress(2))  # waits for the progress interval
    sender.edit(1, 60, final("sixty done"))
    await sender.aclose()
    assert perform.bodies(50) == ["1%"] and perform.bodies(60) == ["1%", "sixty done"]

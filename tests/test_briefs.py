"""Short-lived replies (`bot/telegram/briefs.py`) on looptime's virtual clock, with a recording chat."""

from __future__ import annotations

import asyncio

import pytest

from bot.render.spec import MessageSpec
from bot.telegram.briefs import STRANGERS_PER_MINUTE, Briefs

pytestmark = pytest.mark.looptime

GROUP = -1001


class Chat:
    """Records what the briefs ask of the chat; posts take `delay` seconds (the chat's pacing)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.posted: list[tuple[float, int, str, int | None]] = []  # (when, message id, text, reply_to)
        self.shown: list[tuple[float, int, MessageSpec]] = []
        self.said: list[tuple[int, str]] = []
        self._next = 100

    async def post(self, chat_id: int, spec: MessageSpec, reply_to: int | None = None) -> int:
        await asyncio.sleep(self.delay)
        self._next += 1
        self.posted.append((asyncio.get_running_loop().time(), self._next, spec.body, reply_to))
        return self._next

    def show(self, chat_id: int, message_id: int, spec: MessageSpec, reply_to: int | None = None) -> None:
        self.shown.append((asyncio.get_running_loop().time(), message_id, spec))

    def say(self, chat_id: int, text: str, reply_to: int | None = None, keyboard: object = ()) -> None:
        self.said.append((chat_id, text))

    def deleted(self) -> list[tuple[float, int]]:
        return [(at, message_id) for at, message_id, spec in self.shown if spec.delete]


async def test_private_replies_stay_and_group_replies_go_after_their_time() -> None:
    chat = Chat()
    briefs = Briefs(chat, ttl=60.0)
    briefs.say(42, "stays", 1)
    briefs.say(GROUP, "goes", 2)
    await asyncio.sleep(59)
    assert chat.said == [(42, "stays")] and [p[2] for p in chat.posted] == ["goes"] and chat.deleted() == []
    await asyncio.sleep(2)
    [(at, message_id)] = chat.deleted()
    assert message_id == chat.posted[0][1] and 60 <= at < 61
    delete = chat.shown[0][2]
    assert not delete.final, "a delete waits behind results and progress"
    await briefs.aclose()


async def test_a_repeated_refusal_edits_the_first_and_lives_on() -> None:
    chat = Chat(delay=3.0)  # the group's pacing holds the first refusal back for 3 s
    briefs = Briefs(chat, ttl=60.0)
    assert briefs.per_person(GROUP, 7, "limit (1)", 10)
    await asyncio.sleep(1)
    assert briefs.per_person(GROUP, 7, "limit (2)", 11), "said: by the message on its way"
    await asyncio.sleep(3)
    [(_, message_id, text, reply_to)] = chat.posted
    assert (text, reply_to) == ("limit (1)", 10)
    assert [(m, s.body) for _, m, s in chat.shown] == [(message_id, "limit (2)")], "caught up once it existed"
    await asyncio.sleep(30)
    briefs.per_person(GROUP, 7, "limit (2)", 12)  # identical: no call at all, but a new minute
    assert len(chat.shown) == 1
    await asyncio.sleep(50)
    assert chat.deleted() == [], "each repeat keeps it a minute longer"
    await asyncio.sleep(15)
    assert [m for _, m in chat.deleted()] == [message_id]
    briefs.per_person(GROUP, 7, "limit (3)", 13)
    await asyncio.sleep(4)
    assert len(chat.posted) == 2, "after it went, a refusal is a new message"
    await briefs.aclose()


async def test_refusals_are_per_person_and_strangers_are_capped_per_group() -> None:
    chat = Chat()
    briefs = Briefs(chat, ttl=60.0)
    said = [briefs.per_person(GROUP, 1000 + n, f"stranger {n}", n, stranger=True) for n in range(STRANGERS_PER_MINUTE + 2)]
    assert said == [True] * STRANGERS_PER_MINUTE + [False, False]
    assert briefs.per_person(GROUP, 5, "a member's daily limit", 99), "other refusals are not capped"
    assert briefs.per_person(-1002, 2000, "another group", 1, stranger=True), "the cap is per group"
    assert briefs.per_person(4242, 4242, "private", 1, stranger=True) and chat.said == [(4242, "private")]
    await asyncio.sleep(61)
    assert briefs.per_person(GROUP, 3000, "a new minute", 1, stranger=True)
    await asyncio.sleep(1)
    assert len(chat.posted) == STRANGERS_PER_MINUTE + 3
    await briefs.aclose()


async def test_after_close_nothing_is_left_to_delete() -> None:
    chat = Chat()
    briefs = Briefs(chat, ttl=60.0)
    briefs.say(GROUP, "before", 1)
    await asyncio.sleep(1)
    await briefs.aclose()
    briefs.say(GROUP, "after", 2)
    await asyncio.sleep(120)
    assert chat.deleted() == [] and chat.said == [(GROUP, "after")]

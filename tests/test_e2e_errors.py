"""Failures turn the progress message into a clear explanation; busy upstream is retried."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BotProcess
from tests.test_e2e_core import finished, reply_to

CHAT = FakeTelegram.private(FakeTelegram.user(21, "Cy", "cy"))
USER = FakeTelegram.user(21, "Cy", "cy")


def final_text(tg: FakeTelegram, request: int) -> str:
    message = reply_to(tg, CHAT["id"], request)
    key = (CHAT["id"], message.message_id)
    return tg.wait_for(lambda: (tg.messages[key].rendered()[0] or "") if "❌" in (tg.messages[key].rendered()[0] or "")
                       else None, timeout=15)  # fmt: skip


@pytest.mark.parametrize(
    ("inject", "expected", "operator"),
    [
        (None, "Midjourney does not know these parameters: --bogus", False),
        ((403, "forbidden", "nsfw"), "moderation rejected this prompt", False),
        ((403, "used_up", "no credit"), "credit is used up", True),
        ((401, "invalid_token", "bad token"), "Drawing is not available right now", True),
        ((504, "timeout", "too slow"), "took too long", False),
        ("task:timeout", "took too long", False),
        ("task:bad_request", "Midjourney could not do this request", False),
        ((500, "api_error", "boom"), "temporary problem", False),
    ],
)
def test_failures_are_explained(
    tg: FakeTelegram,
    ace: FakeAceData,
    make_bot: Callable[..., BotProcess],
    inject: object,
    expected: str,
    operator: bool,
) -> None:
    bot = make_bot().start()
    if isinstance(inject, tuple):
        status, code, message = inject
        ace.fail_next(status, code, message, times=2)
    elif inject == "task:timeout":
        ace.fail_task_next("timeout", "generation timed out")
    elif inject == "task:bad_request":
        ace.fail_task_next("bad_request", "bad seed")
    prompt = "/imagine a fox --bogus 1" if inject is None else "/imagine a fox"
    request = tg.user_message(CHAT, USER, prompt)
    text = final_text(tg, request)
    assert expected in text
    assert text.startswith("a fox") and "(Failed)" in text
    if operator:
        bot.wait_log("needs the operator")
        assert "bad token" not in text and "no credit" not in text
    if inject == (500, "api_error", "boom"):
        assert len(ace.requests) == 2, "a 5xx is retried once"


def test_queue_positions_and_concurrency_cap(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.step_delay = 0.3
    make_bot(ACEDATA_MAX_CONCURRENCY="1").start()
    requests = [tg.user_message(CHAT, USER, f"/imagine fox number {i}") for i in range(3)]
    results = [finished(tg, reply_to(tg, CHAT["id"], r), timeout=30) for r in requests]
    assert ace.max_in_flight == 1
    last = [h["text"] or "" for h in results[2].history]
    assert any("(#2 in line)" in s for s in last), last
    assert len(ace.requests) == 3


def test_one_user_cannot_fill_the_queue(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.step_delay = 0.5
    make_bot(USER_MAX_ACTIVE_JOBS="2").start()
    requests = [tg.user_message(CHAT, USER, f"/imagine greedy fox {i}") for i in range(3)]
    refusal = reply_to(tg, CHAT["id"], requests[2])
    assert "already have several pictures in progress" in (refusal.rendered()[0] or "")
    for request in requests[:2]:
        finished(tg, reply_to(tg, CHAT["id"], request))
    assert len(ace.requests) == 2
    later = tg.user_message(CHAT, USER, "/imagine patient fox")
    finished(tg, reply_to(tg, CHAT["id"], later))

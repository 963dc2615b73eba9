"""Telegram flood control (injected, and Telegram's own limits at production pacing), webhook mode
and AceData callback mode."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BotProcess, free_port, settle
from tests.test_e2e_core import finished, reply_to

GROUP = FakeTelegram.group()
ANN = FakeTelegram.user(11, "Ann", "ann")
PRIVATE = FakeTelegram.private(ANN)
# The bot's production pacing (its defaults, Telegram's documented limits), which the harness
# otherwise replaces by fast test pacing.
PRODUCTION_PACING = {
    "TELEGRAM_CHAT_INTERVAL": "1.0", "TELEGRAM_GROUP_PER_MINUTE": "20", "TELEGRAM_GLOBAL_PER_SECOND": "30",
    "PROGRESS_EDIT_INTERVAL": "5",
}  # fmt: skip


def test_production_pacing_stays_within_telegrams_own_limits(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    """The fake applies Telegram's limits by itself (1 call/s per chat in bursts of 2, 20 a minute
    per group, 30/s bot-wide). Ten jobs in a group need all its 20 calls of the minute for first
    messages and results, while their progress (12 s each) would like more; 30 private chats start
    at once (over 30 calls/s with the group's). Every job delivers, Telegram never has to refuse a
    call, and no call is made during a ban."""
    tg.enforce_limits = True
    ace.steps, ace.step_delay = 3, 3.0
    make_bot(ACEDATA_MAX_CONCURRENCY="40", ACEDATA_SUBMIT_INTERVAL="0", **PRODUCTION_PACING).start()
    members = [FakeTelegram.user(300 + i, f"M{i}", f"m{i}") for i in range(10)]
    loners = [FakeTelegram.user(400 + i, f"P{i}", f"p{i}") for i in range(30)]
    requests = [(GROUP, tg.user_message(GROUP, user, f"/imagine {user['first_name']}")) for user in members]
    for user in loners:
        chat = FakeTelegram.private(user)
        requests.append((chat, tg.user_message(chat, user, f"/imagine {user['first_name']}")))
    for chat, request in requests:
        assert finished(tg, reply_to(tg, chat["id"], request), timeout=45).photo
    assert tg.over_limit == [], [(c.method, c.chat_id, c.t) for c in tg.over_limit]
    assert tg.violations == [], "no call was made during a ban"
    assert len(ace.requests) == 40


def test_burst_of_30_in_one_group_under_flood_control(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.steps, ace.step_delay = 3, 0.3
    tg.flood_every(12, retry_after=1)
    make_bot(ACEDATA_MAX_CONCURRENCY="30", ACEDATA_SUBMIT_INTERVAL="0", TELEGRAM_CHAT_INTERVAL="0.05").start()
    users = [FakeTelegram.user(200 + i, f"U{i}", f"u{i}") for i in range(30)]
    requests = [tg.user_message(GROUP, user, f"/imagine burst {i}") for i, user in enumerate(users)]
    for request in requests:
        assert finished(tg, reply_to(tg, GROUP["id"], request), timeout=60).photo
    assert any(c.status == 429 for c in tg.calls), "the fake did flood the bot"
    assert tg.violations == [], "no call was made inside a retry_after"
    assert len(ace.requests) == 30


def test_webhook_mode_needs_the_secret(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    make_bot(TELEGRAM_WEBHOOK_URL=hook, TELEGRAM_WEBHOOK_SECRET="s3cret-value", HTTP_HOST="127.0.0.1",
             HTTP_PORT=str(port)).start()  # fmt: skip
    assert tg.webhook_url == hook and tg.webhook_secret == "s3cret-value"
    request = tg.user_message(PRIVATE, ANN, "/imagine a webhook fox")
    finished(tg, reply_to(tg, PRIVATE["id"], request))
    assert not tg.calls_of("getUpdates")

    forged = {"update_id": 999, "message": {"message_id": 50, "date": 0, "chat": PRIVATE, "from": ANN,
              "text": "/imagine forged", "entities": [{"type": "bot_command", "offset": 0, "length": 8}]}}  # fmt: skip
    assert httpx.post(hook, json=forged).status_code == 403
    assert (
        httpx.post(hook, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code == 403
    )
    assert httpx.post(f"http://127.0.0.1:{port}/other", json=forged).status_code == 404
    settle(0.5)
    assert len(ace.requests) == 1


def test_callback_mode_and_forged_callbacks(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    make_bot(ACEDATA_CALLBACK="true", PUBLIC_URL=public, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port)).start()
    request = tg.user_message(PRIVATE, ANN, "/imagine a called-back fox")
    result = finished(tg, reply_to(tg, PRIVATE["id"], request))
    body = ace.requests[0]["body"]
    assert (
        body["callback_url"].startswith(f"{public}/acedata/") and len(body["callback_url"]) > len(public) + 30
    )
    assert ace.requests[0]["accept"] == "application/x-ndjson"
    assert ace.callbacks and all(c["status"] == 200 for c in ace.callbacks)
    assert any("%" in (h["caption"] or h["text"] or "") for h in result.history), "progress came by callback"

    final = ace.callbacks[-1]["body"]
    assert httpx.post(f"{public}/acedata/not-a-secret", json=final).status_code == 404
    assert httpx.post(body["callback_url"], json=final).status_code == 404, "a finished job takes no more"
    assert httpx.post(body["callback_url"], content=b"{oops").status_code == 404

    # A second job: a callback for another task id is refused and changes nothing.
    ace.steps, ace.step_delay = 3, 0.5
    second = tg.user_message(PRIVATE, ANN, "/imagine another fox")
    ace.wait_for(lambda: len(ace.requests) == 2 and ace.requests[1]["task_id"], timeout=10)
    url = ace.requests[1]["body"]["callback_url"]
    forged = {**final, "task_id": "someone-else", "image_id": "forged"}
    assert httpx.post(url, json=forged).status_code == 404
    done = finished(tg, reply_to(tg, PRIVATE["id"], second))
    assert done.photo != final["image_url"]

"""Operator control end to end: who may spend the credit, daily limits, admin commands that hold
across restarts, and one alert (not one per job) when the credit runs out."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BotProcess, settle
from tests.test_e2e_core import data_of, finished, reply_to

ADMIN = FakeTelegram.user(1, "Ada", "ada")
ANN = FakeTelegram.user(11, "Ann", "ann")
STRANGER = FakeTelegram.user(66, "Sam", "sam")
LISTED = FakeTelegram.group(-100500, "Listed group")
OTHER = FakeTelegram.group(-100600, "Other group")
ALERTS = FakeTelegram.group(-100900, "Ops")


def text_of(tg: FakeTelegram, chat: dict[str, object], request: int) -> str:
    return reply_to(tg, int(chat["id"]), request).rendered()[0] or ""  # type: ignore[arg-type]


def test_who_may_use_the_bot(tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]) -> None:
    make_bot(ALLOWED_USER_IDS=str(ANN["id"]), ALLOWED_CHAT_IDS=str(LISTED["id"])).start()
    # A stranger in private: refused, nothing submitted.
    private = FakeTelegram.private(STRANGER)
    refusal = text_of(tg, private, tg.user_message(private, STRANGER, "/imagine a fox"))
    assert "not open to you" in refusal and f"your id: {STRANGER['id']}" in refusal, "the id the admin needs"
    # Anyone in a listed group.
    done = finished(tg, reply_to(tg, LISTED["id"], tg.user_message(LISTED, STRANGER, "/imagine a listed fox")))
    assert done.photo
    # A listed user in an unlisted group.
    assert finished(tg, reply_to(tg, OTHER["id"], tg.user_message(OTHER, ANN, "/imagine ann's fox"))).photo
    # A stranger in an unlisted group: one refusal a minute at most, nothing submitted.
    before = len(ace.requests)
    first = tg.user_message(OTHER, STRANGER, "/imagine spam 1")
    assert "not open to you" in text_of(tg, OTHER, first)
    tg.user_message(OTHER, STRANGER, "/imagine spam 2 --bogus")
    settle(1.0)
    replies = [m for m in tg.bot_messages(OTHER["id"]) if "not open to you" in (m.rendered()[0] or "")]
    assert len(replies) == 1, "the group is not spammed"
    assert len(ace.requests) == before, "nothing was submitted for the stranger"
    # A stranger's tap on a listed user's picture in that group is refused too.
    grid = finished(tg, reply_to(tg, OTHER["id"], tg.user_message(OTHER, ANN, "/imagine another fox")))
    query = tg.press(OTHER, STRANGER, grid.message_id, data_of(grid, "U1"))
    answer = tg.wait_for(lambda: tg.answers.get(query))
    assert "not open to you" in str(answer.get("text")) and answer.get("show_alert")
    settle(0.5)
    assert not any((r["body"] or {}).get("action") == "upscale1" for r in ace.requests)


def test_daily_limit_counts_button_taps_and_spares_admins(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot(DAILY_LIMIT_PER_USER="2", ADMIN_USER_IDS=str(ADMIN["id"]), TZ="Asia/Shanghai").start()
    chat = FakeTelegram.private(ANN)
    grid = finished(tg, reply_to(tg, chat["id"], tg.user_message(chat, ANN, "/imagine fox one")))
    tg.press(chat, ANN, grid.message_id, data_of(grid, "U1"))  # the second job of the day
    finished(tg, reply_to(tg, chat["id"], grid.message_id))
    query = tg.press(chat, ANN, grid.message_id, data_of(tg.messages[(chat["id"], grid.message_id)], "U2"))
    answer = str(tg.wait_for(lambda: tg.answers.get(query)).get("text"))
    assert "daily limit of 2 is used up" in answer and "Beijing time" in answer, answer
    refused = text_of(tg, chat, tg.user_message(chat, ANN, "/imagine fox three"))
    assert "daily limit of 2" in refused and "resets at 00:00" in refused
    assert len(ace.requests) == 2
    admin = FakeTelegram.private(ADMIN)
    for n in range(3):
        assert finished(tg, reply_to(tg, admin["id"], tg.user_message(admin, ADMIN, f"/imagine admin {n}"))).photo
    assert len(ace.requests) == 5


def test_stats_for_admins_only(tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]) -> None:
    make_bot(ADMIN_USER_IDS=str(ADMIN["id"])).start()
    ace.fail_task_next("forbidden", "nsfw")
    requests = [tg.user_message(LISTED, ANN, f"/imagine fox {n}") for n in range(2)]
    ended = ("❌", "– @ann\n", "@ann</b>")
    for request in requests:  # one of them is refused by moderation, the other finishes
        tg.wait_for(lambda request=request: (lambda t: "❌" in t or (t.endswith("(fast)") and "%" not in t))(
            text_of(tg, LISTED, request)) and reply_to(tg, LISTED["id"], request).history[-1], timeout=15)
    del ended
    settle(0.5)
    admin = FakeTelegram.private(ADMIN)
    report = text_of(tg, admin, tg.user_message(admin, ADMIN, "/stats"))
    assert "Jobs today: 2" in report and "moderated 1" in report, report
    assert "Listed group" in report and str(ANN["id"]) in report
    chat = FakeTelegram.private(ANN)
    snoop = text_of(tg, chat, tg.user_message(chat, ANN, "/stats"))
    assert "Only the bot's admins can do that." in snoop and "Listed group" not in snoop
    in_group = text_of(tg, LISTED, tg.user_message(LISTED, ADMIN, "/stats"))
    assert "private chat" in in_group and str(ANN["id"]) not in in_group, "no one's usage in front of a group"


def test_allow_and_deny_hold_across_a_restart(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    bot = make_bot(ADMIN_USER_IDS=str(ADMIN["id"]), ALLOWED_USER_IDS="999")
    bot.start()
    admin = FakeTelegram.private(ADMIN)
    assert "may use the bot now" in text_of(tg, admin, tg.user_message(admin, ADMIN, f"/allow {ANN['id']}"))
    assert bot.stop() == 0
    bot.start()
    chat = FakeTelegram.private(ANN)
    assert finished(tg, reply_to(tg, chat["id"], tg.user_message(chat, ANN, "/imagine allowed fox"))).photo
    listing = reply_to(tg, admin["id"], tg.user_message(admin, ADMIN, "/allow")).history[0]["text"]
    assert "Access" in listing and f"✅ user <code>{ANN['id']}</code>" in listing, listing
    assert "may not use the bot now" in text_of(tg, admin, tg.user_message(admin, ADMIN, f"/deny {ANN['id']}"))
    assert bot.stop() == 0
    bot.start()
    assert "not open to you" in text_of(tg, chat, tg.user_message(chat, ANN, "/imagine denied fox"))
    assert len(ace.requests) == 1


def test_credit_used_up_alerts_the_admin_chat_once(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    bot = make_bot(ADMIN_CHAT_ID=str(ALERTS["id"]), ADMIN_USER_IDS=str(ADMIN["id"])).start()
    ace.fail_next(403, "used_up", "insufficient balance", times=3)
    chat = FakeTelegram.private(ANN)
    requests = [tg.user_message(chat, ANN, f"/imagine broke fox {n}") for n in range(3)]
    for request in requests:
        tg.wait_for(lambda request=request: "credit is used up" in text_of(tg, chat, request), timeout=15)
    settle(1.0)
    alerts = tg.bot_messages(ALERTS["id"])
    assert len(alerts) == 1, [m.rendered()[0] for m in alerts]
    assert "credit" in (alerts[0].rendered()[0] or "") and "insufficient balance" not in (alerts[0].rendered()[0] or "")
    assert not tg.bot_messages(ADMIN["id"]), "with ADMIN_CHAT_ID, admins are not told privately"
    bot.wait_log("operator alert")

"""What a busy group notices, end to end at production pacing (the fake Telegram enforcing Telegram's
own limits): no ✖ Cancel on a job already submitted, refusals that are right, said once per person
and tidied away, texts that say what is wrong, pickers that keep their owner's name, come back
instead of multiplying and collapse when closed, /settings opened in private."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes import FakeAceData, FakeMessage, FakeTelegram, make_jpeg
from tests.harness import BotProcess, settle
from tests.test_e2e_core import data_of, finished, imagine_requests, labels, reply_to
from tests.test_e2e_modes import PRODUCTION_PACING

GROUP = FakeTelegram.group(-100777, "Busy group")
ANN = FakeTelegram.user(71, "Ann", "ann", language_code="en")
LI = FakeTelegram.user(72, "Li", "li", language_code="zh-hans")
ADMIN = FakeTelegram.user(73, "Ada", "ada", language_code="en")
STRANGER = FakeTelegram.user(74, "Sam", "sam", language_code="en")
DENIED = FakeTelegram.user(75, "Dan", "dan", language_code="en")


def _shown(call_params: dict[str, object]) -> str:
    return str(call_params.get("text") or call_params.get("caption") or "")


def _answer(tg: FakeTelegram, query_id: str) -> dict[str, object]:
    return tg.wait_for(lambda: tg.answers.get(query_id), timeout=15)


def _replies(tg: FakeTelegram, request: int, *, deleted: bool = True) -> list[FakeMessage]:
    """The bot's messages replying to `request`, those deleted since included."""
    found = [m for m in tg.bot_messages(GROUP["id"]) if m.reply_to_message_id == request]
    if deleted:
        found += [m for (chat, _), m in list(tg.deleted_messages.items())
                  if chat == GROUP["id"] and m.reply_to_message_id == request]  # fmt: skip
    return found


def test_a_job_already_submitted_never_shows_cancel(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    """Eight people imagine at once in a group. Six jobs go upstream at once, two wait for a slot.
    A first message leaves at the group's pace (seconds later): it shows the job as it is then, so
    ✖ Cancel appears only while a job really waits. A Cancel tapped after the job started is
    answered that it already started."""
    tg.enforce_limits = True
    ace.steps, ace.step_delay = 3, 2.5
    make_bot(ACEDATA_MAX_CONCURRENCY="6", ACEDATA_SUBMIT_INTERVAL="0", **PRODUCTION_PACING).start()
    members = [FakeTelegram.user(500 + i, f"M{i}", f"m{i}") for i in range(8)]
    requests = {f"fox number {i}": tg.user_message(GROUP, m, f"/imagine fox number {i}") for i, m in enumerate(members)}
    last = members[-1]
    waiting = tg.wait_for(lambda: next((m for m in _replies(tg, requests["fox number 7"], deleted=False)
                                        if ["✖ Cancel"] in labels(m)), None), timeout=20)  # fmt: skip
    cancel = data_of(waiting, "✖ Cancel")
    for request in requests.values():
        finished(tg, reply_to(tg, GROUP["id"], request), timeout=60)
    submitted = {str(r["body"]["prompt"]): float(r["t"]) for r in ace.requests if r["body"]}
    assert sorted(submitted) == sorted(requests), "each job submitted once"
    stale = []
    for call in list(tg.calls):
        if "✖ Cancel" not in str(call.params.get("reply_markup")):
            continue
        prompt = next(p for p in submitted if f"<b>{p}</b>" in _shown(call.params))
        if call.t > submitted[prompt] + 1.0:  # made well after the job went upstream (not a call in flight)
            stale.append((prompt, round(call.t - submitted[prompt], 1), call.method, _shown(call.params)))
    assert stale == [], stale
    assert tg.over_limit == [] and tg.violations == []

    late = _answer(tg, tg.press(GROUP, last, waiting.message_id, cancel, strict=False))
    assert late["text"] == "Already started — it can't be cancelled." and not late.get("show_alert")
    assert [b["prompt"] for b in imagine_requests(ace, "generate")].count("fox number 7") == 1


def test_refusals_are_right_said_once_per_person_and_tidied_away(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    tg.enforce_limits = True
    make_bot(ALLOWED_USER_IDS=f"{ANN['id']},{LI['id']}", ADMIN_USER_IDS=str(ADMIN["id"]), DAILY_LIMIT_PER_USER="1",
             TZ="Asia/Shanghai", GROUP_REPLY_SECONDS="4", **PRODUCTION_PACING).start()  # fmt: skip
    private = FakeTelegram.private(ANN)
    not_admin = reply_to(tg, private["id"], tg.user_message(private, ANN, "/limit 75 3"))
    assert not_admin.text == "⛔ Only the bot's admins can do that."

    stranger = tg.user_message(GROUP, STRANGER, "/imagine a stranger's fox")
    assert "not open to you" in (reply_to(tg, GROUP["id"], stranger).text or "")
    denied = tg.user_message(GROUP, DENIED, "/imagine a denied fox")
    assert f"your id: {DENIED['id']}" in (reply_to(tg, GROUP["id"], denied).text or ""), "refusals are per person"
    stats = tg.user_message(GROUP, ADMIN, "/stats")
    assert "private chat" in (reply_to(tg, GROUP["id"], stats).text or ""), "admins are never throttled"

    finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/imagine the one fox of today")), timeout=30)
    tries = [tg.user_message(GROUP, ANN, f"/imagine fox {n}") for n in range(3)]
    refusal = reply_to(tg, GROUP["id"], tries[0])
    assert "daily limit of 1 is used up" in (refusal.text or "")
    finished_li = finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, LI, "/imagine 一只狐狸")), timeout=30)
    li_refusal = reply_to(tg, GROUP["id"], tg.user_message(GROUP, LI, "/imagine 另一只狐狸"))
    assert "北京时间" in (li_refusal.text or "") and "Asia/Shanghai" not in (li_refusal.text or "")
    assert finished_li.photo
    assert all(not _replies(tg, t) for t in tries[1:]), "a repeated refusal edits the first one"
    refused_ann = [m for m in tg.bot_messages(GROUP["id"]) + list(tg.deleted_messages.values())
                   if "daily limit" in (m.text or "") and "⛔" in (m.text or "")]  # fmt: skip
    assert len(refused_ann) == 1

    warned = tg.user_message(GROUP, ANN, "/imagine a fox --chaos 500")
    warning = reply_to(tg, GROUP["id"], warned)
    assert (warning.text or "").startswith("⚠️ --chaos must be")
    confirmed = reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/relax"))
    short_lived = [refusal, warning, confirmed, reply_to(tg, GROUP["id"], stranger)]
    for message in short_lived:
        tg.wait_for(lambda m=message: (GROUP["id"], m.message_id) in tg.deleted_messages, timeout=20)
    assert (private["id"], not_admin.message_id) in tg.messages, "private replies stay"
    assert tg.over_limit == [] and tg.violations == []


def test_error_texts_say_what_is_wrong(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    tg.enforce_limits = True
    make_bot(**PRODUCTION_PACING).start()
    private = FakeTelegram.private(ANN)
    link = f"{ace.url}/images/fox.png"
    lone_link = reply_to(tg, private["id"], tg.user_message(private, ANN, f"/imagine {link}")).text or ""
    assert lone_link.startswith("⚠️ One picture needs some words too") and "--parameters" not in lone_link
    photo = tg.user_message(private, ANN, caption="/imagine", photo=make_jpeg(320, 240))
    assert (reply_to(tg, private["id"], photo).text or "").startswith("⚠️ One picture needs some words too")
    seed = reply_to(tg, private["id"], tg.user_message(private, ANN, "/imagine a fox --seed abc")).text or ""
    assert "from 0 to 4294967295" in seed and "e+09" not in seed

    missing = "http://127.0.0.1:9/no-such-picture.png"
    request = tg.user_message(private, ANN, f"/imagine {missing} a fox in its style")
    failed = tg.wait_for(lambda: next((m for m in _replies_in(tg, private["id"], request) if "❌" in (m.text or "")),
                                      None), timeout=30)  # fmt: skip
    assert f"could not fetch the image link {missing}" in (failed.text or "")
    assert "--parameters" not in (failed.text or "")


def _replies_in(tg: FakeTelegram, chat_id: int, request: int) -> list[FakeMessage]:
    return [m for m in tg.bot_messages(chat_id) if m.reply_to_message_id == request]


def _picker(tg: FakeTelegram, single: FakeMessage, *, after: int = 0) -> FakeMessage:
    return tg.wait_for(lambda: next((m for m in tg.bot_messages(GROUP["id"]) if m.reply_to_message_id ==
                                     single.message_id and m.message_id > after and m.photo and m.buttons()
                                     and "局部重绘" in (m.caption or "")), None), timeout=20)  # fmt: skip


def test_pickers_keep_their_owner_come_back_and_collapse(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    tg.enforce_limits = True
    make_bot(PICKER_TIMEOUT_MINUTES="0.2", **PRODUCTION_PACING).start()
    grid = finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, LI, "/imagine a king")), timeout=30)
    tg.press(GROUP, LI, grid.message_id, data_of(grid, "U2"))
    single = finished(tg, reply_to(tg, GROUP["id"], grid.message_id), timeout=30)
    region = data_of(single, "局部重绘")
    tg.press(GROUP, LI, single.message_id, region)
    picker = _picker(tg, single)
    assert "@li" in (picker.caption or "")
    for cell in ("6", "7", "10"):
        toast = _answer(tg, tg.press(GROUP, LI, picker.message_id, data_of(picker, cell)))
    assert toast["text"] == "已选：6、7、10"
    key = (GROUP["id"], picker.message_id)
    tg.wait_for(lambda: "6、7、10" in (tg.messages[key].caption or ""), timeout=20)
    assert "@li" in (tg.messages[key].caption or ""), "the owner is shown the same way after a tap"

    back = _answer(tg, tg.press(GROUP, LI, single.message_id, region))
    assert "已重新发到下面" in str(back["text"])
    again = _picker(tg, single, after=picker.message_id)
    tg.wait_for(lambda: key in tg.deleted_messages, timeout=20)
    assert "6、7、10" in (again.caption or "") and len([m for m in tg.bot_messages(GROUP["id"]) if m.photo and
                                                        "局部重绘" in (m.caption or "") and m.buttons()]) == 1  # fmt: skip

    tg.press(GROUP, LI, again.message_id, data_of(again, "✖️ 取消"))
    note = tg.wait_for(lambda: next((m for m in tg.bot_messages(GROUP["id"]) if "已取消" in (m.text or "")), None),
                       timeout=20)  # fmt: skip
    assert note.photo is None and not note.buttons() and "@li" in (note.text or "") and "\n" not in (note.text or "")
    tg.wait_for(lambda: (GROUP["id"], again.message_id) in tg.deleted_messages, timeout=20)

    tg.press(GROUP, LI, single.message_id, region)
    abandoned = _picker(tg, single, after=again.message_id)
    expired = tg.wait_for(lambda: next((m for m in tg.bot_messages(GROUP["id"]) if "长时间没有操作" in (m.text or "")),
                                       None), timeout=40)  # fmt: skip
    assert expired.photo is None and (GROUP["id"], abandoned.message_id) in tg.deleted_messages
    assert tg.over_limit == [] and tg.violations == []


def test_settings_in_a_group_open_in_a_private_chat(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    """Ann may use the bot only because the group is listed: the button still opens her panel."""
    tg.enforce_limits = True
    make_bot(ALLOWED_CHAT_IDS=str(GROUP["id"]), **PRODUCTION_PACING).start()
    pointer = reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/settings"))
    assert "\n" not in (pointer.text or "") and "@ann" in (pointer.text or "")
    [[button]] = pointer.buttons()
    assert button["url"] == f"https://t.me/mj_test_bot?start=settings_{GROUP['id']}" and "callback_data" not in button
    assert not [m for m in tg.bot_messages(GROUP["id"]) if "Settings</b> of" in (m.text or "")], "no panel in the group"
    private = FakeTelegram.private(ANN)
    panel = reply_to(tg, private["id"], tg.user_message(private, ANN, f"/start settings_{GROUP['id']}"))
    assert "Settings</b> of @ann" in (panel.text or "") and ["✅ Fast", "Relax", "Turbo"] in labels(panel)
    mine = FakeTelegram.private(STRANGER)
    refused = reply_to(tg, mine["id"], tg.user_message(mine, STRANGER, "/start settings")).text or ""
    assert "not open to you" in refused, "not listed here, and no listed group named"
    ids = [tg.user_message(GROUP, STRANGER, "/id") for _ in range(2)]
    said = reply_to(tg, GROUP["id"], ids[0]).text or ""
    assert said == f"🆔 Your id: <code>{STRANGER['id']}</code> · this chat: <code>{GROUP['id']}</code>", "how an id is found"
    settle(1.5)
    assert not _replies(tg, ids[1]), "a repeated /id edits the first (strangers cannot flood the group)"

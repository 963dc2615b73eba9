"""What users reach for besides /imagine, end to end: /settings (Relax → the next job's `mode`),
/prefer suffix, /describe and /shorten with a tap on a suggested prompt, /info, ✖ Cancel on a
queued job, and "notify me when done"."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes import FakeAceData, FakeMessage, FakeTelegram, make_jpeg
from tests.harness import BOT_TOKEN, BotProcess, settle
from tests.test_e2e_core import data_of, finished, imagine_requests, labels, reply_to

GROUP = FakeTelegram.group(-100321, "Fox fans")
ANN = FakeTelegram.user(31, "Ann", "ann", language_code="en")
BOB = FakeTelegram.user(32, "Bob", "bob", language_code="en")


def _reply_text(tg: FakeTelegram, request: int) -> str:
    return reply_to(tg, GROUP["id"], request).rendered()[0] or ""


def _edited(tg: FakeTelegram, message: FakeMessage, predicate: Callable[[FakeMessage], bool]) -> FakeMessage:
    key = (message.chat_id, message.message_id)
    return tg.wait_for(lambda: tg.messages[key] if predicate(tg.messages[key]) else None, timeout=15)


def test_settings_prefer_and_speed_commands_shape_the_next_jobs(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    mine = FakeTelegram.private(ANN)  # in a group, /settings points here (test_e2e_busy_group)
    panel = reply_to(tg, mine["id"], tg.user_message(mine, ANN, "/settings"))
    assert "Settings</b> of @ann" in (panel.text or "") and ["✅ Fast", "Relax", "Turbo"] in labels(panel)
    query = tg.press(mine, BOB, panel.message_id, data_of(panel, "Relax"))
    tg.wait_for(lambda: query in tg.answers, timeout=10)
    assert tg.answers[query]["show_alert"] and "Ann's settings" in tg.answers[query]["text"]
    tg.press(mine, ANN, panel.message_id, data_of(panel, "Relax"))
    panel = _edited(tg, panel, lambda m: ["Fast", "✅ Relax", "Turbo"] in labels(m))
    tg.press(mine, ANN, panel.message_id, data_of(panel, "16:9"))
    panel = _edited(tg, panel, lambda m: "Aspect ratio: <b>16:9</b>" in (m.text or ""))
    finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/imagine a fox")))
    first = imagine_requests(ace, "generate")[-1]
    assert first["mode"] == "relax" and first["prompt"] == "a fox --ar 16:9"
    grid = finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/imagine a cat --ar 1:1 --fast")))
    assert grid.caption == "<b>a cat --ar 1:1</b> – @ann (fast)", "the prompt's own choices win"
    assert imagine_requests(ace, "generate")[-1]["prompt"] == "a cat --ar 1:1"

    assert "cinematic" in _reply_text(tg, tg.user_message(GROUP, ANN, "/prefer suffix cinematic --chaos 20"))
    assert _reply_text(tg, tg.user_message(GROUP, ANN, "/turbo")) == "✅ Your jobs now run in Turbo mode."
    finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/imagine an owl --s 250")))
    sent = imagine_requests(ace, "generate")[-1]
    assert sent["prompt"] == "an owl cinematic --s 250 --chaos 20 --ar 16:9" and sent["mode"] == "turbo"
    assert "cleared" in _reply_text(tg, tg.user_message(GROUP, ANN, "/prefer suffix"))
    tg.press(mine, ANN, panel.message_id, data_of(panel, "✅ 16:9"))  # back to no default aspect ratio
    _edited(tg, panel, lambda m: "Aspect ratio: <b>Auto</b>" in (m.text or ""))
    assert "--ar 16:9" in _reply_text(tg, tg.user_message(GROUP, ANN, "/prefer suffix --ar 16:9"))
    finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/imagine a heron")))
    assert imagine_requests(ace, "generate")[-1]["prompt"] == "a heron --ar 16:9", "the suffix, as the issue asks"
    assert "Relax" in _reply_text(tg, tg.user_message(GROUP, ANN, "/relax"))
    finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/imagine a crane")))
    assert imagine_requests(ace, "generate")[-1]["mode"] == "relax"
    tg.press(mine, ANN, panel.message_id, data_of(tg.messages[(mine["id"], panel.message_id)], "中文"))
    _edited(tg, panel, lambda m: "语言：<b>中文</b>" in (m.text or ""))
    assert _reply_text(tg, tg.user_message(GROUP, ANN, "/imagine a fox --chaos 500")).startswith(
        "⚠️ --chaos 必须在"), "the language chosen in /settings wins over Telegram's"
    bad = _reply_text(tg, tg.user_message(GROUP, ANN, "/prefer suffix --ar wide"))
    assert bad.startswith("⚠️ --ar 需要 3:2 或 16:9 这样的比例"), "in the language Ann chose"
    finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, BOB, "/imagine a dog")))
    last = imagine_requests(ace, "generate")[-1]
    assert last["prompt"] == "a dog" and "mode" not in last, "Ann's settings are hers alone"


def test_describe_a_replied_photo_then_imagine_a_suggestion(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    photo = tg.user_message(GROUP, ANN, photo=make_jpeg(640, 480))
    working = reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/describe", reply_to=photo))
    done = _edited(tg, working, lambda m: bool(m.buttons()))
    assert [["🎨 1", "🎨 2", "🎨 3", "🎨 4"]] == labels(done)
    text = done.rendered()[0] or ""
    assert "2. an orange fox, winter forest, jpg photograph --ar 1:1" in text and "2️⃣" not in text
    [call] = ace.describe_calls
    assert BOT_TOKEN not in call["image_url"] and BOT_TOKEN.split(":")[1] not in call["image_url"]
    tg.press(GROUP, BOB, done.message_id, data_of(done, "🎨 2"))
    grid = finished(tg, reply_to(tg, GROUP["id"], done.message_id))
    assert grid.caption == "<b>an orange fox, winter forest, jpg photograph --ar 1:1</b> – @bob (fast)"
    assert imagine_requests(ace, "generate")[-1]["prompt"] == "an orange fox, winter forest, jpg photograph --ar 1:1"
    usage = _reply_text(tg, tg.user_message(GROUP, ANN, "/describe"))
    assert "reply /describe to a photo" in usage
    captioned = tg.user_message(GROUP, BOB, caption="/describe", photo=make_jpeg(300, 300))
    done = _edited(tg, reply_to(tg, GROUP["id"], captioned), lambda m: bool(m.buttons()))
    assert "@bob" in (done.rendered()[0] or "") and len(ace.describe_calls) == 2
    assert not [m for m in tg.bot_messages(GROUP["id"]) if m.reply_to_message_id == tg.user_message(
        GROUP, ANN, "/frobnicate")] and settle(1.0) is None, "unknown commands in a group stay quiet"
    private = FakeTelegram.private(ANN)
    hint = reply_to(tg, private["id"], tg.user_message(private, ANN, "a fox in the snow"))
    assert "/imagine a red fox in snow" in (hint.rendered()[0] or ""), "plain text in private: how to draw"


def test_shorten_then_imagine_a_shorter_prompt(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    request = tg.user_message(GROUP, ANN, "/shorten a very detailed portrait of a red fox in deep snow at dawn")
    done = _edited(tg, reply_to(tg, GROUP["id"], request), lambda m: bool(m.buttons()))
    assert "1. a very detailed portrait of a\n\n2. a very detailed portrait\n\n3. a very detailed\n" in (done.rendered()[0] or "")
    assert ace.shorten_calls == [{"prompt": "a very detailed portrait of a red fox in deep snow at dawn"}]
    tg.press(GROUP, ANN, done.message_id, data_of(done, "🎨 3"))
    finished(tg, reply_to(tg, GROUP["id"], done.message_id))
    assert imagine_requests(ace, "generate")[-1]["prompt"] == "a very detailed"
    ace.fail_next(401, "invalid_token", "secret upstream words")
    failed = _edited(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/shorten one two three")),
                     lambda m: "❌" in (m.text or ""))  # fmt: skip
    assert "not available right now" in (failed.text or "") and "secret" not in (failed.text or "")


def test_info_and_cancelling_a_queued_job(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.step_delay = 1.0
    make_bot(ACEDATA_MAX_CONCURRENCY="1", DAILY_LIMIT_PER_USER="10").start()
    running = reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/imagine a slow fox"))
    waiting = reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/imagine a fox that never starts"))
    waiting = _edited(tg, waiting, lambda m: labels(m) == [["✖ Cancel"]])
    info = reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/info"))
    shown = info.rendered()[0] or ""
    assert "Running:" in shown and "a slow fox" in shown and "Waiting:" in shown and "a fox that never starts" in shown
    assert "Today: 2 jobs · daily limit: 10" in shown and "Running or waiting: 2 · limit: 10" in shown
    assert "a fox that never starts – #1 in line" in shown, "the place its own message shows" and "Settings: Fast ·" in shown
    assert f'<a href="https://t.me/c/321/{running.message_id}">a slow fox</a>' in (info.text or "")
    cancel = data_of(waiting, "✖ Cancel")
    stranger = tg.press(GROUP, BOB, waiting.message_id, cancel)
    tg.wait_for(lambda: stranger in tg.answers, timeout=10)
    assert tg.answers[stranger]["show_alert"] and "Only Ann can cancel" in tg.answers[stranger]["text"]
    owner = tg.press(GROUP, ANN, waiting.message_id, cancel)
    tg.wait_for(lambda: owner in tg.answers, timeout=10)
    cancelled = _edited(tg, waiting, lambda m: "(Cancelled)" in (m.text or ""))
    assert cancelled.buttons() == []
    again = tg.press(GROUP, ANN, waiting.message_id, cancel, strict=False)
    tg.wait_for(lambda: again in tg.answers, timeout=10)
    assert tg.answers[again]["text"] == "Cancelled." and not tg.answers[again].get("show_alert")
    assert all("✖ Cancel" not in str(h.get("reply_markup")) for h in running.history[1:]
               if "%" in (h.get("caption") or h.get("text") or "")), "no Cancel once submitted"  # fmt: skip
    finished(tg, running, timeout=20)
    settle(1.5)
    assert [b["prompt"] for b in imagine_requests(ace, "generate")] == ["a slow fox"], "never submitted"
    after = reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/info")).rendered()[0] or ""
    assert "Today: 1 jobs" in after, "a cancelled job does not count"


def test_notify_me_when_done_sends_the_result_anew(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    mine = FakeTelegram.private(ANN)
    panel = reply_to(tg, mine["id"], tg.user_message(mine, ANN, "/settings"))
    tg.press(mine, ANN, panel.message_id, data_of(panel, "🔔 Notify when done: off"))
    _edited(tg, panel, lambda m: ["🔔 Notify when done: on"] in labels(m))
    request = tg.user_message(GROUP, ANN, "/imagine a fox who rings a bell")
    progress = reply_to(tg, GROUP["id"], request)
    result = tg.wait_for(lambda: next((m for m in tg.bot_messages(GROUP["id"]) if m.reply_to_message_id == request
                                       and m.message_id != progress.message_id and m.photo), None), timeout=15)  # fmt: skip
    assert result.caption == "<b>a fox who rings a bell</b> – @ann (fast)" and labels(result)[0][0] == "U1"
    tg.wait_for(lambda: (GROUP["id"], progress.message_id) in tg.deleted_messages, timeout=10)
    tg.press(GROUP, BOB, result.message_id, data_of(result, "U2"))
    finished(tg, reply_to(tg, GROUP["id"], result.message_id))


def test_describe_and_shorten_count_against_the_daily_limit(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    """Each is a paid call upstream: with a limit of 2, two /shorten use the day up."""
    make_bot(DAILY_LIMIT_PER_USER="2").start()
    private = FakeTelegram.private(ANN)
    for n in range(2):
        done = reply_to(tg, private["id"], tg.user_message(private, ANN, f"/shorten a long prompt number {n} here"))
        _edited(tg, done, lambda m: bool(m.buttons()))
    third = reply_to(tg, private["id"], tg.user_message(private, ANN, "/shorten one more long prompt")).text or ""
    assert "daily limit of 2 is used up" in third and len(ace.shorten_calls) == 2
    fox = reply_to(tg, private["id"], tg.user_message(private, ANN, "/imagine a fox")).text or ""
    assert "daily limit of 2 is used up" in fox and not imagine_requests(ace, "generate")

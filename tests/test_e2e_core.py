"""The core flow end to end: the real `python -m bot` against the fake Telegram and AceData."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from tests.fakes import FakeAceData, FakeMessage, FakeTelegram
from tests.harness import BOT_TOKEN, BotProcess

GROUP = FakeTelegram.group()
ANN = FakeTelegram.user(11, "Ann", "ann")
BOB = FakeTelegram.user(12, "Bob <b>")


def reply_to(tg: FakeTelegram, chat_id: int, message_id: int) -> FakeMessage:
    """The bot's reply to `message_id` (waits for it)."""
    return tg.wait_for(
        lambda: next(m for m in tg.bot_messages(chat_id) if m.reply_to_message_id == message_id), timeout=15
    )


def finished(tg: FakeTelegram, message: FakeMessage, timeout: float = 15) -> FakeMessage:
    """Wait until the message shows a photo with buttons (a finished result)."""
    key = (message.chat_id, message.message_id)
    return tg.wait_for(lambda: tg.messages[key] if tg.messages[key].photo and tg.messages[key].buttons() and
                       "%" not in (tg.messages[key].caption or "") else None, timeout=timeout)  # fmt: skip


def labels(message: FakeMessage) -> list[list[str]]:
    return [[b["text"] for b in row] for row in message.buttons()]


def data_of(message: FakeMessage, label: str) -> str:
    for row in message.buttons():
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {labels(message)}")


def sent_callback_data(tg: FakeTelegram) -> list[str]:
    """callback_data of every inline button in every call the bot made, refused calls included."""
    found: list[str] = []
    for call in list(tg.calls):
        markup = call.params.get("reply_markup")
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        for row in rows or []:
            found += [str(b["callback_data"]) for b in row if isinstance(b, dict) and "callback_data" in b]
    return found


def imagine_requests(ace: FakeAceData, action: str) -> list[dict[str, Any]]:
    return [r["body"] for r in ace.requests if (r["body"] or {}).get("action", "generate") == action]


def test_group_imagine_buttons_and_restart(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    bot = make_bot().start()
    request = tg.user_message(GROUP, ANN, "/imagine@mj_test_bot a red fox in snow --ar 3:2")

    # One reply, edited in place: waiting → progress → preview → final grid.
    progress = reply_to(tg, GROUP["id"], request)
    # The bot keeps callback_data within Telegram's 64 bytes itself: measured on what it sends, as
    # the fake records it before its own check (which would refuse longer data with a 400).
    first_keyboard = tg.wait_for(lambda: sent_callback_data(tg) or None, timeout=15)
    assert all(1 <= len(data.encode()) <= 64 for data in first_keyboard), first_keyboard
    grid = finished(tg, progress)
    assert [m.message_id for m in tg.bot_messages(GROUP["id"])] == [grid.message_id]
    first = grid.history[0]
    assert first["method"] == "sendMessage"
    assert first["text"] == "<b>a red fox in snow --ar 3:2</b> – @ann (Waiting to start)"
    states = [h["caption"] or h["text"] for h in grid.history]
    assert any("%" in s for s in states), states
    assert any(h["photo"] and "%" in (h["caption"] or "") for h in grid.history), "a preview was shown"
    assert grid.caption == "<b>a red fox in snow --ar 3:2</b> – @ann (fast)"
    assert labels(grid) == [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"], ["🔗 Full size"]]
    generate = imagine_requests(ace, "generate")
    assert generate == [{"prompt": "a red fox in snow --ar 3:2", "action": "generate", "timeout": 540}]
    assert ace.requests[0]["accept"] == "application/x-ndjson"
    grid_image = next(i for i, img in ace.images.items() if grid.photo == img["image_url"])

    # V2 by another user: a new reply to the grid, the tapped button marked.
    tg.press(GROUP, BOB, grid.message_id, data_of(grid, "V2"))
    variation = finished(tg, reply_to(tg, GROUP["id"], grid.message_id))
    assert imagine_requests(ace, "variation2") == [{"action": "variation2", "image_id": grid_image, "timeout": 540}]
    assert "✅ V2" in labels(tg.messages[(GROUP["id"], grid.message_id)])[1]
    assert variation.caption is not None and "V" in variation.caption and "Bob &lt;b&gt;" in variation.caption

    # U4 on the variation grid → single image with its own buttons, Vary (Region) included.
    tg.press(GROUP, ANN, variation.message_id, data_of(variation, "U4"))
    single = finished(tg, reply_to(tg, GROUP["id"], variation.message_id))
    assert labels(single) == [
        ["Upscale 2x", "Upscale 4x"],
        ["Vary (Subtle)", "Vary (Strong)", "Vary (Region)"],
        ["Zoom Out 2x", "Zoom Out 1.5x"],
        ["⬅️", "➡️", "⬆️", "⬇️"],
        ["🔗 Full size"],
    ]
    single_image = imagine_requests(ace, "upscale4")[0]["image_id"]
    assert single_image in ace.images

    tg.press(GROUP, ANN, single.message_id, data_of(single, "⬅️"))
    panned = finished(tg, reply_to(tg, GROUP["id"], single.message_id))
    pan = imagine_requests(ace, "pan_left")
    assert len(pan) == 1 and pan[0]["image_id"] in ace.images
    assert labels(panned)[0] == ["U1", "U2", "U3", "U4", "🔄"]

    # Restart: buttons on old messages keep working.
    assert bot.stop() == 0
    bot.start()
    tg.press(GROUP, ANN, grid.message_id, data_of(grid, "U1"))
    upscaled = finished(tg, _newest_reply(tg, grid))
    assert imagine_requests(ace, "upscale1") == [{"action": "upscale1", "image_id": grid_image, "timeout": 540}]
    assert upscaled.photo

    # Every answer was given, every keyboard sent kept to 64 bytes, the token never left the bot.
    assert len(tg.calls_of("answerCallbackQuery")) == 4
    sent = sent_callback_data(tg)
    assert len(sent) > 20 and all(1 <= len(data.encode()) <= 64 for data in sent), sent
    assert not any(BOT_TOKEN in url for url in ace.received_urls)
    assert "ERROR" not in bot.log(), bot.log()[-3000:]


def _newest_reply(tg: FakeTelegram, source: FakeMessage) -> FakeMessage:
    def newest() -> FakeMessage:
        replies = [m for m in tg.bot_messages(source.chat_id) if m.reply_to_message_id == source.message_id]
        assert len(replies) == 2
        return replies[-1]

    return tg.wait_for(newest, timeout=15)


def test_help_menu_and_privacy_of_logs(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    bot = make_bot(LOG_LEVEL="DEBUG").start()
    menu = [c["command"] for c in tg.calls_of("setMyCommands")[0].params["commands"]]
    assert menu[:3] == ["imagine", "blend", "describe"] and menu[-1] == "help" and len(menu) == 12 and "id" in menu
    chat = FakeTelegram.private(ANN)
    for command in ("/start", "/help"):
        request = tg.user_message(chat, ANN, command)
        text = reply_to(tg, chat["id"], request).rendered()[0] or ""
        assert "/imagine a red fox in snow" in text and "U1–U4" in text
    request = tg.user_message(chat, ANN, "/imagine a <b>bold</b> & fox")
    result = finished(tg, reply_to(tg, chat["id"], request))
    assert result.rendered()[0] == "a <b>bold</b> & fox – @ann (fast)"
    assert BOT_TOKEN not in bot.log() and BOT_TOKEN.split(":")[1] not in bot.log()


def test_double_tap_submits_once(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    request = tg.user_message(GROUP, ANN, "/imagine a twice tapped fox")
    grid = finished(tg, reply_to(tg, GROUP["id"], request))
    first = tg.press(GROUP, ANN, grid.message_id, data_of(grid, "V1"))
    second = tg.press(GROUP, BOB, grid.message_id, data_of(grid, "V1"))
    answers = [tg.wait_for(lambda q=q: tg.answers.get(q)) for q in (first, second)]  # type: ignore[misc]
    assert "already in progress" in str(answers[1].get("text"))
    finished(tg, reply_to(tg, GROUP["id"], grid.message_id))
    assert len(imagine_requests(ace, "variation1")) == 1
    stale = tg.press(GROUP, ANN, grid.message_id, "b:notarealkey1", strict=False)
    assert "no longer valid" in str(tg.wait_for(lambda: tg.answers.get(stale)).get("text"))


def test_rejected_token_and_unreachable_telegram_exit_clearly(
    tg: FakeTelegram, make_bot: Callable[..., BotProcess]
) -> None:
    bot = make_bot(TELEGRAM_BOT_TOKEN="999:wrong-token").start(ready=False)
    assert bot.proc is not None and bot.proc.wait(30) == 2
    assert "TELEGRAM_BOT_TOKEN was rejected by Telegram" in bot.log()
    assert "Traceback" not in bot.log()
    unreachable = make_bot(TELEGRAM_API_URL="http://127.0.0.1:9").start(ready=False)
    assert unreachable.proc is not None and unreachable.proc.wait(30) == 1
    assert "cannot reach Telegram at http://127.0.0.1:9" in unreachable.log()


def test_a_taken_web_port_stops_the_bot_with_a_clear_error(
    tg: FakeTelegram, make_bot: Callable[..., BotProcess]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        bot = make_bot(PUBLIC_URL=f"http://127.0.0.1:{port}", HTTP_HOST="127.0.0.1",
                       HTTP_PORT=str(port)).start(ready=False)  # fmt: skip
        assert bot.proc is not None and bot.proc.wait(30) == 2
    log = bot.log()
    assert f"cannot listen on 127.0.0.1:{port}" in log and "HTTP_PORT" in log
    assert "listening" not in log.replace("cannot listen", "") and "Traceback" not in log

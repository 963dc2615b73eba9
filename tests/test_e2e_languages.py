"""Chinese and English users, end to end: each person's messages in their Telegram language (or
the one chosen in /settings), the command menu in both languages, Chinese keyboards' parameters,
and Chinese prompts translated first (the result says what Midjourney received) unless the person
turned it off."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BotProcess
from tests.test_e2e_core import data_of, finished, imagine_requests, reply_to
from tests.test_e2e_modes import PRODUCTION_PACING

LI = FakeTelegram.user(21, "李", "li", language_code="zh-hans")
ANN = FakeTelegram.user(22, "Ann", "ann", language_code="en")
CHAT = FakeTelegram.private(LI)
GROUP = FakeTelegram.group(-100777, "双语群")
DEFAULT_SCOPE = json.dumps({"type": "default"})


def test_a_chinese_user_reads_chinese_and_the_menu_speaks_both(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    english = [c["description"] for c in tg.commands[(DEFAULT_SCOPE, "")]]
    chinese = [c["description"] for c in tg.commands[(DEFAULT_SCOPE, "zh")]]
    assert next(c["command"] for c in tg.commands[(DEFAULT_SCOPE, "zh")]) == "imagine"
    assert english[0].startswith("Draw a picture") and chinese[0].startswith("画图")
    start = reply_to(tg, CHAT["id"], tg.user_message(CHAT, LI, "/start"))
    assert "雪地里的一只红狐狸" in (start.text or "") and "U1–U4" in (start.text or "")
    bad = reply_to(tg, CHAT["id"], tg.user_message(CHAT, LI, "/imagine 狐狸 --chaos 500"))
    assert bad.text == "⚠️ --chaos 必须在 0 到 100 之间，而不是 500。"
    unknown = reply_to(tg, CHAT["id"], tg.user_message(CHAT, LI, "/frobnicate"))
    assert unknown.text == "我不认识 /frobnicate。发送 /help 查看我能做什么。"
    ace.fail_next(403, "forbidden", "nsfw words")
    failed = reply_to(tg, CHAT["id"], tg.user_message(CHAT, LI, "/imagine 一只狐狸"))
    tg.wait_for(lambda: "❌" in (failed.text or ""), timeout=15)
    assert "提示词未通过 Midjourney 的审核" in (failed.text or "") and "nsfw" not in (failed.text or "")
    assert "（失败）" in (failed.text or "") and labels_of(failed) == [], "rewording, not retrying, helps"
    ace.fail_next(500, "api_error", "upstream trouble", times=2)
    retry = reply_to(tg, CHAT["id"], tg.user_message(CHAT, LI, "/imagine 一只猫"))
    tg.wait_for(lambda: "❌" in (retry.text or ""), timeout=15)
    assert "Midjourney 暂时出了问题" in (retry.text or "") and labels_of(retry) == [["🔁 重试"]]


def labels_of(message: object) -> list[list[str]]:
    return [[b["text"] for b in row] for row in message.buttons()]  # type: ignore[attr-defined]


def test_in_a_group_each_message_speaks_its_readers_language(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    mine = finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, LI, "/imagine 一只狐狸 --ar 3:2")))
    theirs = finished(tg, reply_to(tg, GROUP["id"], tg.user_message(GROUP, ANN, "/imagine a fox --ar 3:2")))
    assert mine.caption == "<b>一只狐狸 --ar 3:2</b> – @li（快速）\n<i>Midjourney 收到的英文：a fox --ar 3:2</i>"
    assert theirs.caption == "<b>a fox --ar 3:2</b> – @ann (fast)"
    assert labels_of(mine)[-1] == ["🔗 原图"] and labels_of(theirs)[-1] == ["🔗 Full size"]
    upscale = data_of(mine, "U1")
    tg.press(GROUP, ANN, mine.message_id, upscale)
    single = tg.wait_for(lambda: next((m for m in tg.bot_messages(GROUP["id"])
                                       if "Image #1 @ann" in (m.caption or "") and m.buttons()), None), timeout=15)  # fmt: skip
    assert ["Upscale 2x", "Upscale 4x"] in labels_of(single), "the tapper's job speaks the tapper's language"


def test_a_chinese_prompt_is_translated_upstream_with_its_parameters_intact(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    """The words go to AceData's translator first, so that the result (and /info) can say in one
    line what Midjourney received; links and --parameters are never sent to it. At production
    pacing. When the translator fails, the prompt goes as typed with `translation: true`."""
    tg.enforce_limits = True
    ace.step_delay = 1.0
    make_bot(**PRODUCTION_PACING).start()
    request = tg.user_message(CHAT, LI, "/imagine 一只在雪地里的红狐狸 ——ar 3：2")
    progress = reply_to(tg, CHAT["id"], request)
    info = tg.wait_for(lambda: (lambda t: t if "一只在雪地里的红狐狸" in t else None)(
        reply_to(tg, CHAT["id"], tg.user_message(CHAT, LI, "/info")).text or ""), timeout=15)  # fmt: skip
    assert "Midjourney 收到的英文：a red fox in the snow --ar 3:2" in info
    grid = finished(tg, progress)
    [body] = imagine_requests(ace, "generate")
    assert body["prompt"] == "a red fox in the snow --ar 3:2" and "translation" not in body
    assert ace.translate_calls == [{"content": "一只在雪地里的红狐狸"}], "only the words, not the --parameters"
    assert grid.caption is not None and "一只在雪地里的红狐狸 --ar 3:2" in grid.caption
    assert grid.caption.endswith("\n<i>Midjourney 收到的英文：a red fox in the snow --ar 3:2</i>")
    ace.translate_fails = True
    fallback = finished(tg, reply_to(tg, CHAT["id"], tg.user_message(CHAT, LI, "/imagine 猫")))
    assert imagine_requests(ace, "generate")[-1] == {**imagine_requests(ace, "generate")[-1], "prompt": "猫",
                                                     "translation": True}  # fmt: skip
    assert "英文" not in (fallback.caption or "")
    ace.translate_fails = False
    english = tg.user_message(CHAT, LI, "/imagine a red fox --ar 3:2")
    finished(tg, reply_to(tg, CHAT["id"], english))
    assert "translation" not in imagine_requests(ace, "generate")[2] and len(ace.translate_calls) == 2
    panel = reply_to(tg, CHAT["id"], tg.user_message(CHAT, LI, "/settings"))
    tg.press(CHAT, LI, panel.message_id, data_of(panel, "翻译：开"))
    tg.wait_for(lambda: "翻译：关" in str(labels_of(tg.messages[(CHAT["id"], panel.message_id)])), timeout=10)
    finished(tg, reply_to(tg, CHAT["id"], tg.user_message(CHAT, LI, "/imagine 一只狐狸")))
    last = imagine_requests(ace, "generate")[3]
    assert last["prompt"] == "一只狐狸" and "translation" not in last, "translation turned off in /settings"
    assert len(ace.translate_calls) == 2

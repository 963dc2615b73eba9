"""Chinese users, end to end (the start of the users' issue): a Chinese prompt typed on a Chinese
keyboard goes upstream with `translation: true` and its parameters intact."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BotProcess
from tests.test_e2e_core import finished, imagine_requests, reply_to

LI = FakeTelegram.user(21, "李", "li")
CHAT = FakeTelegram.private(LI)


def test_a_chinese_prompt_is_translated_upstream_with_its_parameters_intact(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    request = tg.user_message(CHAT, LI, "/imagine 一只在雪地里的红狐狸 ——ar 3：2")
    grid = finished(tg, reply_to(tg, CHAT["id"], request))
    [body] = imagine_requests(ace, "generate")
    assert body["prompt"] == "一只在雪地里的红狐狸 --ar 3:2" and body["translation"] is True
    assert grid.caption is not None and "一只在雪地里的红狐狸 --ar 3:2" in grid.caption
    english = tg.user_message(CHAT, LI, "/imagine a red fox --ar 3:2")
    finished(tg, reply_to(tg, CHAT["id"], english))
    assert "translation" not in imagine_requests(ace, "generate")[1]

"""TelegramNotifier with a stub Bot: the calls each state takes, 429s, skipped edits, upload
fallbacks. Scheduling rules are tested in test_sender.py; these run on looptime's virtual clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.core.domain import Button, Image, Job, JobState, JobView, Requester
from bot.render.spec import MessageSpec
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.sender import Limits
from bot.telegram.uploads import PHOTO_UPLOAD_LIMIT

pytestmark = pytest.mark.looptime

FAST = Limits(chat_interval=0.0, group_per_minute=1000, global_per_second=1000, progress_interval=0.05)


@dataclass
class _Sent:
    message_id: int


class StubBot:
    """Records calls; `script` maps a method to exceptions to raise on its next calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, dict[str, Any]]] = []
        self.script: dict[str, list[Exception]] = {}
        self._next_id = 100

    async def _call(self, method: str, **params: Any) -> _Sent:
        self.calls.append((method, asyncio.get_running_loop().time(), params))
        failures = self.script.get(method)
        if failures:
            raise failures.pop(0)
        self._next_id += 1
        return _Sent(params.get("message_id") or self._next_id)

    async def send_message(self, chat_id: int, text: str, **kw: Any) -> _Sent:
        return await self._call("send_message", chat_id=chat_id, text=text, **kw)

    async def send_photo(self, chat_id: int, photo: Any, **kw: Any) -> _Sent:
        return await self._call("send_photo", chat_id=chat_id, photo=photo, **kw)

    async def edit_message_text(self, text: str, chat_id: int, message_id: int, **kw: Any) -> _Sent:
        return await self._call("edit_message_text", text=text, chat_id=chat_id, message_id=message_id, **kw)

    async def edit_message_caption(self, chat_id: int, message_id: int, **kw: Any) -> _Sent:
        return await self._call("edit_message_caption", chat_id=chat_id, message_id=message_id, **kw)

    async def edit_message_media(self, media: Any, chat_id: int, message_id: int, **kw: Any) -> _Sent:
        return await self._call(
            "edit_message_media", media=media, chat_id=chat_id, message_id=message_id, **kw
        )

    async def edit_message_reply_markup(self, chat_id: int, message_id: int, **kw: Any) -> _Sent:
        return await self._call("edit_message_reply_markup", chat_id=chat_id, message_id=message_id, **kw)

    def methods(self) -> list[str]:
        return [c[0] for c in self.calls]


def _job(**changes: Any) -> Job:
    job = Job(id=1, chat_id=-5, chat_type="group", requester=Requester(1, "Ann", "ann"), prompt="fox",
              upstream_prompt="fox", reply_to=7)  # fmt: skip
    for key, value in changes.items():
        setattr(job, key, value)
    return job


def _notifier(
    bot: StubBot, payload: bytes = b"\x89PNG" + b"0" * 100, limits: Limits = FAST
) -> TelegramNotifier:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=payload)))
    return TelegramNotifier(bot, http, limits)  # type: ignore[arg-type]


def _done(message_id: int) -> JobView:
    image = Image(
        "img", "t", "https://cdn.test/a.png", actions=("upscale1",), chat_id=-5, message_id=message_id
    )
    return JobView(
        _job(state=JobState.DONE, message_id=message_id), image, (Button("k" * 8, "img", "upscale1", -5, 9),)
    )


async def test_identical_state_is_not_sent_again() -> None:
    bot = StubBot()
    notifier = _notifier(bot)
    message_id = await notifier.create(JobView(_job()))
    await notifier.finish(_done(message_id))
    await notifier.finish(_done(message_id))
    assert bot.methods() == ["send_message", "edit_message_media"]
    await notifier.aclose()


async def test_retry_after_is_honoured_and_the_state_delivered() -> None:
    bot = StubBot()
    bot.script["edit_message_media"] = [RetryAfter(12)]
    notifier = _notifier(bot)
    message_id = await notifier.create(JobView(_job()))
    await asyncio.wait_for(notifier.finish(_done(message_id)), 30)
    edits = [c for c in bot.calls if c[0] == "edit_message_media"]
    assert len(edits) == 2 and edits[1][1] - edits[0][1] >= 12.0
    await notifier.aclose()


async def test_refused_url_is_uploaded_and_big_files_become_documents() -> None:
    bot = StubBot()
    refused = BadRequest("Failed to get http url content")
    bot.script["edit_message_media"] = [refused]
    notifier = _notifier(bot)
    message_id = await notifier.create(JobView(_job()))
    await notifier.finish(_done(message_id))
    media = [c[2]["media"] for c in bot.calls if c[0] == "edit_message_media"]
    assert media[0].media == "https://cdn.test/a.png"
    assert media[1].type == "photo" and not isinstance(media[1].media, str)  # uploaded bytes
    await notifier.aclose()

    big = StubBot()
    big.script["edit_message_media"] = [BadRequest("Failed to get http url content")]
    notifier = _notifier(big, payload=b"\x89PNG" + b"0" * (PHOTO_UPLOAD_LIMIT + 1))
    message_id = await notifier.create(JobView(_job()))
    await notifier.finish(_done(message_id))
    media = [c[2]["media"] for c in big.calls if c[0] == "edit_message_media"]
    assert [m.type for m in media] == ["photo", "document"]
    await notifier.aclose()


async def test_deleted_progress_message_gets_the_result_anew() -> None:
    bot = StubBot()
    bot.script["edit_message_media"] = [BadRequest("Message to edit not found")]
    notifier = _notifier(bot)
    message_id = await notifier.create(JobView(_job()))
    new_id = await notifier.finish(_done(message_id))
    assert new_id != message_id and bot.methods()[-1] == "send_photo"
    await notifier.aclose()


async def test_text_edit_on_a_photo_falls_back_to_caption() -> None:
    bot = StubBot()
    bot.script["edit_message_text"] = [BadRequest("There is no text in the message to edit")]
    notifier = _notifier(bot)
    notifier.show(-5, 55, MessageSpec("failed", final=True))
    await asyncio.sleep(0.2)
    assert bot.methods() == ["edit_message_text", "edit_message_caption"]
    await notifier.aclose()


async def test_a_preview_telegram_cannot_fetch_is_shown_as_text() -> None:
    bot = StubBot()
    bot.script["edit_message_media"] = [BadRequest("Wrong file identifier/http url specified")]
    notifier = _notifier(bot)
    message_id = await notifier.create(JobView(_job()))
    preview = _job(state=JobState.RUNNING, progress=40, preview_url="https://cdn.test/p.png", message_id=message_id)
    notifier.update(JobView(preview))
    await asyncio.sleep(10)
    assert bot.methods() == ["send_message", "edit_message_media", "edit_message_text"]
    assert "40%" in bot.calls[-1][2]["text"]
    await notifier.aclose()


async def test_a_refused_call_fails_its_caller_and_the_chat_goes_on() -> None:
    bot = StubBot()
    bot.script["send_message"] = [Forbidden("Forbidden: bot was blocked by the user")]
    notifier = _notifier(bot)
    with pytest.raises(Forbidden):
        await notifier.create(JobView(_job()))
    assert await notifier.create(JobView(_job())) > 0, "the next call still goes out"
    await notifier.aclose()


async def test_an_uploaded_picture_is_remembered_by_its_digest_and_not_sent_twice() -> None:
    bot = StubBot()
    notifier = _notifier(bot)
    overlay = MessageSpec("pick squares", photo=b"\xff\xd8\xff" + b"1" * 200_000)
    message_id = await notifier.post(-5, overlay)
    notifier.show(-5, message_id, overlay)
    await asyncio.sleep(10)
    assert bot.methods() == ["send_photo"], "the same picture is not edited in again"
    remembered = notifier._known(-5).get(message_id)
    assert remembered is not None and isinstance(remembered.photo, str) and remembered.photo.startswith("sha256:")
    notifier.show(-5, message_id, MessageSpec("pick squares", photo=b"\xff\xd8\xff" + b"2" * 200_000))
    await asyncio.sleep(10)
    assert bot.methods()[-1] == "edit_message_media", "a new picture is"
    await notifier.aclose()


async def test_a_result_before_its_first_message_went_out_becomes_that_message() -> None:
    bot = StubBot()
    notifier = _notifier(bot, limits=Limits(chat_interval=1.0, group_per_minute=1000, global_per_second=1000,
                                            progress_interval=0.05, chat_burst=1))  # fmt: skip
    notifier.say(-5, "something else first")  # takes the chat's call: the job's message waits
    await asyncio.sleep(0)
    first = asyncio.create_task(notifier.create(JobView(_job())))
    await asyncio.sleep(0.1)
    image = Image("img", "t1", "https://cdn.test/grid.png", chat_id=-5)
    done = _job(state=JobState.DONE, message_id=None)
    shown = await notifier.finish(JobView(done, image, (Button("k1", "img", "upscale1", -5, 0),)))
    assert await first == shown
    assert bot.methods() == ["send_message", "send_photo"], "one call: the result is the first message"
    await notifier.aclose()


async def test_notify_sends_the_result_anew_and_deletes_the_progress_message() -> None:
    bot = StubBot()

    async def delete_message(chat_id: int, message_id: int) -> bool:
        bot.calls.append(("delete_message", asyncio.get_running_loop().time(), {"message_id": message_id}))
        return True

    bot.delete_message = delete_message  # type: ignore[attr-defined]
    notifier = _notifier(bot)
    message_id = await notifier.create(JobView(_job(notify=True)))
    image = Image("img", "t1", "https://cdn.test/grid.png", chat_id=-5)
    shown = await notifier.finish(JobView(_job(notify=True, state=JobState.DONE, message_id=message_id), image))
    await asyncio.sleep(1)
    assert shown != message_id and bot.methods() == ["send_message", "send_photo", "delete_message"]
    assert bot.calls[1][2]["reply_parameters"].message_id == 7, "a new reply to the request: Telegram notifies"
    assert bot.calls[2][2]["message_id"] == message_id
    await notifier.aclose()


async def test_a_new_message_whose_picture_telegram_will_not_fetch_is_uploaded() -> None:
    bot = StubBot()
    bot.script["send_photo"] = [BadRequest("Failed to get HTTP URL content")]
    notifier = _notifier(bot)
    image = Image("img", "t1", "https://cdn.test/grid.png", chat_id=-5)
    shown = await notifier.finish(JobView(_job(state=JobState.DONE, message_id=None), image))
    assert shown and bot.methods() == ["send_photo", "send_photo"]
    assert isinstance(bot.calls[1][2]["photo"], bytes), "the second time, the bytes themselves"
    await notifier.aclose()

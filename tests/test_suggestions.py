"""/describe and /shorten without Telegram: the working reply edited into prompts with a button
each, upstream errors in the reader's words, one at a time per person, and a tap that starts the
job as the tapper (a recording display, AceData on httpx.MockTransport, a temporary store)."""

from __future__ import annotations

import asyncio
import json

import httpx

from bot.core.callbacks import SuggestionTap, parse_panel
from bot.core.domain import Picture, Refusal, Refused, Requester
from bot.core.profile import Profile
from bot.features.suggestions import Suggestions
from bot.imagine import ImagineClient
from bot.jobs import JobService
from bot.render.spec import MessageSpec
from bot.store import Store
from tests.jobs_kit import FAST, Notes, Upstream

LI = Requester(21, "李", "li", "zh")
ANN = Requester(7, "Ann", "ann", "en")


class Display:
    def __init__(self) -> None:
        self.posted: list[MessageSpec] = []
        self.shown: list[MessageSpec] = []

    async def post(self, chat_id: int, spec: MessageSpec, reply_to: int | None = None) -> int:
        self.posted.append(spec)
        return 300 + len(self.posted)

    def show(self, chat_id: int, message_id: int, spec: MessageSpec, reply_to: int | None = None) -> None:
        self.shown.append(spec)


class Hosted:
    async def url_for(self, picture: Picture) -> str:
        return "https://files.test/hosted.png"


async def _until(predicate: object, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_describe_shorten_and_a_tap(store: Store) -> None:
    upstream = Upstream()
    calls: list[tuple[str, dict[str, object]]] = []
    answers = {"/midjourney/describe": [httpx.Response(200, json={"descriptions": ["1️⃣ a fox --ar 3:2", "2️⃣ a <owl>"]})],
               "/midjourney/shorten": [httpx.Response(401, json={"error": {"code": "invalid_token", "message": "secret"},
                                                                 "trace_id": "t"})]}  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path in answers:
            calls.append((request.url.path, json.loads(request.content)))
            return answers[request.url.path].pop(0)
        return upstream.handler(request)

    client = ImagineClient(httpx.AsyncClient(transport=httpx.MockTransport(handler)), base_url="https://api.test",
                           token="t", platform_url="https://pf.test", platform_token="t")  # fmt: skip
    jobs = JobService(store, client, Notes(), FAST)
    await jobs.start()
    display = Display()
    suggestions = Suggestions(store, client, Hosted(), display, jobs)
    try:
        assert await suggestions.describe(-5, LI, Picture("f1", "u1"), reply_to=9) is None
        assert await suggestions.describe(-5, LI, Picture("f1", "u1"), reply_to=9) == Refused(Refusal.BUSY)
        await _until(lambda: display.shown)
        assert calls[0] == ("/midjourney/describe", {"image_url": "https://files.test/hosted.png"})
        assert "为 " in display.posted[0].body and "正在" in display.posted[0].body, "working, in the reader's language"
        done = display.shown[0]
        assert "<code>a fox --ar 3:2</code>" in done.body and "a &lt;owl&gt;" in done.body and "1️⃣" not in done.body
        [[_, second]] = done.keyboard
        tap = parse_panel(second.callback_data)
        assert isinstance(tap, SuggestionTap) and tap.number == 2

        started = await suggestions.pick(tap, chat_id=-5, chat_type="group", requester=ANN,
                                         profile=Profile(7, speed="relax"))  # fmt: skip
        assert not isinstance(started, Refused | None) and not isinstance(started, Exception)
        await _until(lambda: upstream.submits)
        assert upstream.submits[0]["prompt"] == "a <owl>" and upstream.submits[0]["mode"] == "relax"
        assert started.requester == ANN and started.reply_to == 301, "the tapper's job, replying to the list"
        third, first = SuggestionTap(tap.key, 3), SuggestionTap(tap.key, 1)
        assert await suggestions.pick(third, chat_id=-5, chat_type="group", requester=ANN, profile=Profile(7)) is None
        assert await suggestions.pick(first, chat_id=-6, chat_type="group", requester=ANN, profile=Profile(7)) is None

        assert await suggestions.shorten(-5, ANN, "a very long fox", reply_to=10) is None
        await _until(lambda: len(display.shown) == 2)
        failed = display.shown[1].body
        assert "could not be shortened" in failed and "not available right now" in failed and "secret" not in failed
    finally:
        await suggestions.aclose()
        await jobs.stop()

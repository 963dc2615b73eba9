"""Sanity tests of the fakes themselves: if these fail, bot tests built on them mean nothing."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram import Bot, InputMediaPhoto, Message
from telegram.error import BadRequest, RetryAfter

from tests.fakes import FakeAceData, FakeTelegram, ServerThread, make_jpeg, make_png

TOKEN = "123456:TEST-token"
ACE_TOKEN = "ace-secret"


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN) as fake:
        yield fake


@pytest.fixture
def ace() -> Iterator[FakeAceData]:
    with FakeAceData(ACE_TOKEN) as fake:
        fake.step_delay = 0.02
        yield fake


@pytest.fixture
def receiver() -> Iterator[tuple[ServerThread, list[dict[str, Any]]]]:
    """A tiny HTTP endpoint recording what is POSTed to it (webhook / callback target)."""
    received: list[dict[str, Any]] = []

    async def record(request: Request) -> JSONResponse:
        received.append({"headers": dict(request.headers), "json": await request.json()})
        return JSONResponse({"ok": True})

    server = ServerThread(Starlette(routes=[Route("/hook", record, methods=["POST"])])).start()
    yield server, received
    server.stop()


def api(tg: FakeTelegram, method: str, **params: Any) -> httpx.Response:
    """Call the fake like PTB does: form-encoded, complex values as JSON strings."""
    data = {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in params.items()}
    return httpx.post(f"{tg.url}/bot{TOKEN}/{method}", data=data)


# == Telegram ====================================================================================
def test_telegram_send_edit_rules(tg: FakeTelegram) -> None:
    assert httpx.get(f"{tg.url}/bot{TOKEN}/GETME").json()["result"]["username"] == "mj_test_bot"
    wrong = httpx.get(f"{tg.url}/bot1:nope/getMe")
    assert wrong.status_code == 401 and wrong.json()["description"] == "Unauthorized"

    keyboard = {"inline_keyboard": [[{"text": "U1", "callback_data": "u1"}]]}
    sent = api(
        tg, "sendMessage", chat_id=5, text="<b>hi</b> &amp; bye", parse_mode="HTML", reply_markup=keyboard
    )
    result = sent.json()["result"]
    assert result["text"] == "hi & bye" and result["entities"][0]["type"] == "bold"
    assert tg.calls[-1].params["reply_markup"] == keyboard and tg.calls[-1].chat_id == 5
    assert tg.buttons(5, 1) == keyboard["inline_keyboard"]

    same = api(
        tg,
        "editMessageText",
        chat_id=5,
        message_id=1,
        text="<b>hi</b> &amp; bye",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    assert same.status_code == 400 and "message is not modified" in same.json()["description"]
    assert api(tg, "editMessageCaption", chat_id=5, message_id=1, caption="x").json()["description"] == (
        "Bad Request: there is no caption in the message to edit"
    )
    assert api(tg, "editMessageText", chat_id=5, message_id=99, text="x").json()["description"] == (
        "Bad Request: message to edit not found"
    )
    bad_html = api(tg, "sendMessage", chat_id=5, text="a < b", parse_mode="HTML")
    assert bad_html.status_code == 400 and "can't parse entities" in bad_html.json()["description"]
    long_data = {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]}
    assert api(tg, "sendMessage", chat_id=5, text="x", reply_markup=long_data).status_code == 400

    edited = api(tg, "editMessageText", chat_id=5, message_id=1, text="plain")  # drops the keyboard
    assert edited.status_code == 200 and "reply_markup" not in edited.json()["result"]
    assert [h["text"] for h in tg.messages[(5, 1)].history] == ["<b>hi</b> &amp; bye", "plain"]
    assert api(tg, "deleteMessage", chat_id=5, message_id=1).json()["result"] is True
    assert tg.bot_messages(5) == []


def test_telegram_long_poll_and_callbacks(tg: FakeTelegram) -> None:
    alice = tg.user(42, "Alice", "alice")
    chat = tg.group()
    threading.Timer(0.2, tg.user_message, (chat, alice, "/imagine@mj_test_bot a cat")).start()
    started = time.monotonic()
    updates = api(tg, "getUpdates", timeout=5).json()["result"]
    assert 0.1 < time.monotonic() - started < 2
    message = updates[0]["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 20}]
    assert message["chat"]["type"] == "supergroup" and message["from"]["id"] == 42

    api(
        tg,
        "sendMessage",
        chat_id=chat["id"],
        text="grid",
        reply_markup={"inline_keyboard": [[{"text": "U1", "callback_data": "u1"}]]},
    )
    query_id = tg.press(chat, alice, 2, "u1")
    updates = api(tg, "getUpdates", offset=updates[0]["update_id"] + 1, timeout=0).json()["result"]
    assert [u["callback_query"]["id"] for u in updates] == [query_id]
    assert updates[0]["callback_query"]["message"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "U1"
    assert api(tg, "answerCallbackQuery", callback_query_id=query_id, text="ok").status_code == 200
    assert tg.answers[query_id]["text"] == "ok"
    assert api(tg, "answerCallbackQuery", callback_query_id=query_id).status_code == 400  # twice
    api(tg, "getUpdates", offset=updates[-1]["update_id"] + 1)
    assert tg.pending_updates() == []


def test_telegram_flood_control(tg: FakeTelegram) -> None:
    tg.flood(7, retry_after=2)
    first = api(tg, "sendMessage", chat_id=7, text="a")
    assert first.status_code == 429 and first.json()["parameters"] == {"retry_after": 2}
    again = api(tg, "sendChatAction", chat_id=7, action="typing")
    assert again.status_code == 429 and [c.method for c in tg.violations] == ["sendChatAction"]
    assert api(tg, "sendMessage", chat_id=8, text="other chat").status_code == 200
    tg.fail_next("sendmessage", 500, "Internal Server Error")
    assert api(tg, "sendMessage", chat_id=8, text="x").status_code == 500


def test_telegram_enforces_the_chat_limit_by_itself(tg: FakeTelegram) -> None:
    assert not tg.enforce_limits, "off by default: most tests run the bot with fast test pacing"
    tg.enforce_limits = True
    assert [api(tg, "sendMessage", chat_id=7, text=f"burst {i}").status_code for i in range(2)] == [200, 200]
    refused = api(tg, "sendMessage", chat_id=7, text="too fast")
    assert refused.status_code == 429
    assert refused.json() == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }  # fmt: skip
    assert [c.params["text"] for c in tg.over_limit] == ["too fast"] and tg.violations == []
    # the 429 started a ban for the chat: any call into it now is a violation, other chats are free
    assert api(tg, "editMessageText", chat_id=7, message_id=1, text="in the ban").status_code == 429
    assert [c.method for c in tg.violations] == ["editMessageText"]
    assert api(tg, "sendMessage", chat_id=8, text="another chat").status_code == 200
    assert api(tg, "getMe").status_code == 200 and len(tg.over_limit) == 1


def test_telegram_enforces_group_and_global_limits(tg: FakeTelegram) -> None:
    """On a frozen clock: every call is at the same instant, however slowly the machine makes them."""
    tg.enforce_limits, tg.chat_interval, tg.group_per_minute, tg.global_per_second = True, 0.0, 3, 5
    tg.clock = lambda: 1000.0  # type: ignore[method-assign]
    group = [api(tg, "sendMessage", chat_id=-100, text=f"g{i}") for i in range(4)]
    assert [r.status_code for r in group] == [200, 200, 200, 429]
    assert 58 <= group[-1].json()["parameters"]["retry_after"] <= 60, "until the minute's first call ages out"
    private = [api(tg, "sendMessage", chat_id=chat, text="p").status_code for chat in (1, 2, 3)]
    assert private == [200, 200, 429], "3 + 2 calls used the bot-wide 5 a second"
    assert [c.chat_id for c in tg.over_limit] == [-100, 3] and tg.violations == []
    # over the bot-wide limit the ban is bot-wide: a call into any chat is a violation
    assert api(tg, "deleteMessage", chat_id=4, message_id=1).status_code == 429
    assert [(c.method, c.chat_id) for c in tg.violations] == [("deleteMessage", 4)]


def test_telegram_webhook_push(tg: FakeTelegram, receiver: tuple[ServerThread, list[dict[str, Any]]]) -> None:
    server, received = receiver
    assert api(tg, "setWebhook", url=f"{server.url}/hook", secret_token="s3cret").json()["result"] is True
    assert api(tg, "getUpdates").status_code == 409
    tg.user_message(tg.private(tg.user(9, "Bob")), tg.user(9, "Bob"), "hello")
    tg.wait_for(lambda: received, timeout=5)
    assert received[0]["headers"]["x-telegram-bot-api-secret-token"] == "s3cret"
    assert received[0]["json"]["message"]["text"] == "hello"
    tg.wait_for(lambda: not tg.pending_updates(), timeout=5)


async def test_telegram_with_ptb(tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # retry_after as timedelta, without the warning
    chat_id = 77
    async with Bot(TOKEN, base_url=f"{tg.url}/bot", base_file_url=f"{tg.url}/file/bot") as bot:
        me = await bot.get_me()
        assert me.id == 1000 and me.username == "mj_test_bot"
        sent = await bot.send_message(chat_id, "queued", parse_mode="HTML")
        edited = await bot.edit_message_text("<i>working</i>", chat_id, sent.message_id, parse_mode="HTML")
        assert isinstance(edited, Message) and edited.text == "working"
        photo = await bot.edit_message_media(
            InputMediaPhoto("http://cdn.example/a.png", caption="done"), chat_id, sent.message_id
        )
        assert isinstance(photo, Message) and photo.photo and photo.caption == "done"
        stored = tg.messages[(chat_id, sent.message_id)]
        assert stored.photo == "http://cdn.example/a.png" and stored.text is None
        with pytest.raises(BadRequest, match="no text in the message"):
            await bot.edit_message_text("x", chat_id, sent.message_id)

        upload = await bot.send_photo(chat_id, make_png(64, 32), caption="bytes")
        assert upload.photo[-1].width == 64 and tg.messages[(chat_id, upload.message_id)].photo == make_png(
            64, 32
        )
        tg.refuse_urls("cdn.example")
        with pytest.raises(BadRequest, match=r"(?i)failed to get http url content"):
            await bot.send_photo(chat_id, "http://cdn.example/b.png")

        tg.flood(chat_id, retry_after=3)
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(chat_id, "too fast")
        assert flood.value.retry_after == timedelta(seconds=3)

        user = tg.user(5, "Eve")
        jpeg = make_jpeg(300, 200, text="ref")
        message_id = tg.user_message(tg.private(user), user, caption="/imagine x", photo=jpeg)
        sizes = tg.messages[(5, message_id)].photo_sizes
        assert sizes is not None and sizes[-1]["width"] == 300
        file = await bot.get_file(sizes[-1]["file_id"])
        assert bytes(await file.download_as_bytearray()) == jpeg


# == AceData =====================================================================================
def imagine(ace: FakeAceData, stream: bool = False, **body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {ACE_TOKEN}"}
    if stream:
        headers["Accept"] = "application/x-ndjson"
    return httpx.post(f"{ace.url}/midjourney/imagine", json=body, headers=headers, timeout=10)


def png_size(url: str) -> tuple[int, int]:
    response = httpx.get(url)
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).size


def test_acedata_json_stream_and_actions(ace: FakeAceData) -> None:
    grid = imagine(ace, prompt="a cat --ar 1:1").json()
    assert grid["success"] and grid["progress"] == 100 and grid["actions"][:2] == ["upscale1", "upscale2"]
    assert png_size(grid["image_url"]) == (512, 512) and png_size(grid["raw_image_url"]) == (1024, 1024)

    lines = [json.loads(line) for line in imagine(ace, stream=True, prompt="a dog").text.splitlines()]
    assert [line["progress"] for line in lines] == [25, 50, 75, 100]
    assert len({line["image_id"] for line in lines}) == 4 and lines[0]["actions"] == []

    single = imagine(ace, action="upscale2", image_id=grid["image_id"]).json()
    assert single["actions"] == ace.single_actions and ace.images[single["image_id"]]["kind"] == "single"
    bigger = imagine(ace, action="upscale_2x", image_id=single["image_id"]).json()
    assert (bigger["raw_image_width"], bigger["raw_image_height"]) == (2048, 2048)

    wrong_mask = base64.b64encode(make_png(10, 10)).decode()
    refused = imagine(ace, action="variation_region", image_id=single["image_id"], mask=wrong_mask)
    assert refused.json()["error"]["message"] == "mask size 10x10 does not match image 1024x1024"
    mask = base64.b64encode(make_png(1024, 1024, (255, 255, 255))).decode()
    region = imagine(ace, action="variation_region", image_id=single["image_id"], mask=mask, prompt="a hat")
    assert region.status_code == 200 and ace.requests[-1]["mask_image"].getpixel((0, 0)) == (255, 255, 255)

    assert imagine(ace, action="upscale9", image_id=grid["image_id"]).status_code == 400
    assert (
        imagine(ace, action="upscale_2x", image_id=grid["image_id"]).status_code == 400
    )  # not a grid action
    assert (
        imagine(ace, prompt="x --bogus 1").json()["error"]["message"] == "Unrecognized argument(s): `--bogus`"
    )
    unauthorized = httpx.post(f"{ace.url}/midjourney/imagine", json={"prompt": "x"})
    assert unauthorized.status_code == 401 and unauthorized.json()["error"]["code"] == "invalid_token"
    assert ace.max_in_flight == 1 and len(ace.submit_times) == 5


def test_acedata_tasks_uploads_and_image_prompts(ace: FakeAceData) -> None:
    auth = {"Authorization": f"Bearer {ACE_TOKEN}"}
    upload = httpx.post(
        f"{ace.url}/api/v1/files/", files={"file": ("ref.jpg", make_jpeg(40, 40))}, headers=auth
    )
    file_url = upload.json()["file_url"]
    assert file_url.endswith(".jpg") and httpx.get(file_url).content == ace.uploads[0]["data"]

    task_id = imagine(ace, prompt=f"{file_url} a castle", **{"async": True}).json()["task_id"]
    assert ace.received_urls == [file_url]
    done = ace.wait_for(lambda: ace.tasks[task_id]["finished_at"], timeout=5)
    assert done
    retrieved = httpx.post(
        f"{ace.url}/midjourney/tasks", json={"action": "retrieve", "id": task_id}, headers=auth
    )
    assert retrieved.json()["response"]["progress"] == 100 and retrieved.json()["request"]["prompt"].endswith(
        "castle"
    )
    batch = httpx.post(
        f"{ace.url}/midjourney/tasks",
        json={"action": "retrieve_batch", "ids": [task_id, "nope"]},
        headers=auth,
    ).json()
    assert batch["count"] == 1
    missing = httpx.post(
        f"{ace.url}/midjourney/tasks", json={"action": "retrieve", "id": "nope"}, headers=auth
    )
    assert missing.status_code == 400

    broken = imagine(ace, prompt=f"{ace.url}/files/missing.png a castle")
    assert broken.json()["error"]["message"] == f"Failed to download image {ace.url}/files/missing.png"

    ace.fail_next(429, "too_many_requests", "slow down")
    assert imagine(ace, prompt="x").status_code == 429
    ace.fail_task_next("forbidden", "banned prompt")
    failed = [json.loads(line) for line in imagine(ace, stream=True, prompt="x").text.splitlines()]
    assert [line.get("progress") for line in failed] == [25, 50, None]
    assert failed[-1] == {
        "success": False,
        "task_id": failed[0]["task_id"],
        "error": {"code": "forbidden", "message": "banned prompt"},
    }


def test_acedata_cut_stream_and_callback(
    ace: FakeAceData, receiver: tuple[ServerThread, list[dict[str, Any]]]
) -> None:
    ace.cut_stream_at(50)
    lines = [json.loads(line) for line in imagine(ace, stream=True, prompt="cut").text.splitlines()]
    assert [line["progress"] for line in lines] == [25, 50]
    task = ace.wait_for(lambda: ace.tasks[lines[0]["task_id"]]["state"] == "finished", timeout=5)
    assert task

    server, received = receiver
    ack = imagine(ace, stream=True, prompt="cb", callback_url=f"{server.url}/hook")
    assert set(ack.json()) == {"success", "task_id"}
    ace.wait_for(lambda: len(received) == 4 and len(ace.callback_statuses) == 4, timeout=5)
    assert [r["json"]["progress"] for r in received] == [25, 50, 75, 100] and ace.callback_statuses == [
        200
    ] * 4

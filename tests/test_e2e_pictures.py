"""Image prompts and blends end to end: photos, files, albums, replies, URLs, both hosting modes."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import FakeAceData, FakeTelegram, make_jpeg, make_png
from tests.harness import BOT_TOKEN, BotProcess, free_port
from tests.test_e2e_core import finished, reply_to

GROUP = FakeTelegram.group()
ANN = FakeTelegram.user(11, "Ann", "ann")
PRIVATE = FakeTelegram.private(ANN)


def prompts(ace: FakeAceData) -> list[str]:
    return [
        r["body"]["prompt"]
        for r in ace.requests
        if r["body"] and r["body"].get("action", "generate") == "generate"
    ]


def wait_prompt(ace: FakeAceData, count: int = 1) -> str:
    return ace.wait_for(lambda: prompts(ace)[count - 1] if len(prompts(ace)) >= count else None, timeout=15)


def say_reply(tg: FakeTelegram, chat_id: int, message_id: int) -> str:
    message = reply_to(tg, chat_id, message_id)
    return message.rendered()[0] or ""


def urls_of(prompt: str) -> list[str]:
    return [w for w in prompt.split() if w.startswith("http")]


def assert_no_token_leaked(ace: FakeAceData) -> None:
    assert ace.received_urls, "the fake saw no URL at all"
    assert not any(BOT_TOKEN in u or BOT_TOKEN.split(":")[1] in u for u in ace.received_urls)


def test_photo_caption_reply_and_reuse(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    photo = make_jpeg(320, 240, (10, 200, 30))
    first = tg.user_message(GROUP, ANN, caption="/imagine a cat on a sofa --iw 1.5", photo=photo)
    prompt = wait_prompt(ace)
    [url] = urls_of(prompt)
    assert prompt == f"{url} a cat on a sofa --iw 1.5"
    assert url.startswith(ace.url + "/files/")
    grid = finished(tg, reply_to(tg, GROUP["id"], first))
    assert "🖼×1 a cat on a sofa --iw 1.5" in (grid.caption or "")

    # Replying to the same photo reuses the hosted copy (one upload for one Telegram file).
    tg.user_message(GROUP, ANN, "/imagine a dog", reply_to=first)
    assert wait_prompt(ace, 2) == f"{url} a dog"
    assert len(ace.uploads) == 1

    # Replying to the bot's own result uses its image URL directly.
    tg.user_message(GROUP, ANN, "/imagine same but blue", reply_to=grid.message_id)
    assert wait_prompt(ace, 3) == f"{grid.photo} same but blue"
    assert len(ace.uploads) == 1
    assert_no_token_leaked(ace)


def test_image_file_and_typed_urls(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    tg.user_message(
        PRIVATE, ANN, caption="/imagine a boat", document=(make_png(200, 200), "boat.png", "image/png")
    )
    [url] = urls_of(wait_prompt(ace))
    assert ace.uploads[0]["filename"].endswith(".png")
    hosted = [httpx.post(f"{ace.url}/api/v1/files/", files={"file": ("x.png", make_png(64, 64))},
                         headers={"Authorization": f"Bearer {ace.token}"}).json()["file_url"] for _ in range(2)]  # fmt: skip
    tg.user_message(PRIVATE, ANN, f"/imagine {hosted[0]} {hosted[1]} a cat --iw 2")
    assert wait_prompt(ace, 2) == f"{hosted[0]} {hosted[1]} a cat --iw 2"
    assert url not in hosted


def test_album_blend_and_reply_blend(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    album = [
        tg.user_message(GROUP, ANN, photo=make_png(100, 100, c), caption="/blend" if i == 0 else None,
                        media_group_id="album-1")
        for i, c in enumerate(colors)
    ]  # fmt: skip
    prompt = wait_prompt(ace)
    assert len(urls_of(prompt)) == 3 and prompt == " ".join(urls_of(prompt))
    grid = finished(tg, reply_to(tg, GROUP["id"], album[0]))
    assert grid.caption == "<b>🖼×3</b> – @ann (fast)"
    assert len(prompts(ace)) == 1, "the album was submitted once"

    # Reply /blend to the album: the whole album is found again.
    tg.user_message(GROUP, ANN, "/blend dreamy", reply_to=album[1])
    again = wait_prompt(ace, 2)
    assert urls_of(again) == urls_of(prompt) and again.endswith(" dreamy")

    # Reply to a photo with another photo captioned /blend.
    single = tg.user_message(GROUP, ANN, photo=make_png(90, 90, (9, 9, 9)))
    tg.user_message(GROUP, ANN, photo=make_png(80, 80, (200, 9, 9)), caption="/blend", reply_to=single)
    assert len(urls_of(wait_prompt(ace, 3))) == 2
    assert_no_token_leaked(ace)


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        ({"text": "/blend"}, "I found 0"),
        ({"caption": "/imagine a cat", "document": (b"%PDF-1.4 not a picture", "doc.pdf", "application/pdf")},
         "“doc.pdf” is not a picture"),
        ({"caption": "/imagine a cat", "document": (b"GIF89a....", "a.gif", "image/gif")}, "Animated GIFs"),
        ({"text": "/imagine ftp://x/a.png a cat"}, ""),
        ({"text": "/imagine"}, "Describe the picture after the command"),
        ({"text": "/imagine a cat --chaos 500"}, "--chaos must be from 0 to 100"),
    ],
)  # fmt: skip
def test_bad_input_gets_one_clear_reply(
    tg: FakeTelegram,
    ace: FakeAceData,
    make_bot: Callable[..., BotProcess],
    send: dict[str, Any],
    expected: str,
) -> None:
    make_bot().start()
    request = tg.user_message(PRIVATE, ANN, **send)
    text = say_reply(tg, PRIVATE["id"], request)
    if expected:
        assert expected in text
    if "ftp://" in str(send):
        # not an image URL: passed on as ordinary prompt text, which is the user's choice
        assert wait_prompt(ace) == "ftp://x/a.png a cat"
    else:
        assert not ace.requests


def test_six_photo_album_and_sticker_are_refused(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot().start()
    album = [
        tg.user_message(GROUP, ANN, photo=make_png(50, 50, (i * 40, 0, 0)), caption="/blend" if i == 0 else None,
                        media_group_id="six")
        for i in range(6)
    ]  # fmt: skip
    # One reply, to the /blend message, naming the limit the album broke (its six pictures are over
    # the five a prompt can carry). Only its full text tells this refusal from the others that
    # mention "I found 6" (blend_count's "/blend mixes 2 to 5 images, but I found 6. ...").
    refusal = say_reply(tg, GROUP["id"], album[0])
    assert refusal == "⚠️ At most 5 images fit in one prompt; I found 6."
    sticker = tg.user_message(GROUP, ANN, sticker=True)
    request = tg.user_message(GROUP, ANN, "/imagine a cat", reply_to=sticker)
    assert "Stickers can't be used" in say_reply(tg, GROUP["id"], request)
    assert [m.reply_to_message_id for m in tg.bot_messages(GROUP["id"])] == [album[0], request]
    assert not ace.requests


def raw_get(base: str, path: str) -> int:
    """GET `path` exactly as written (httpx would resolve `..` before sending it); the status."""
    url = httpx.URL(base)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_self_hosting_serves_pictures_and_nothing_else(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess], tmp_path: Path
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    make_bot(PUBLIC_URL=public, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port)).start()
    photo = make_jpeg(300, 200, (1, 2, 3))
    tg.user_message(PRIVATE, ANN, caption="/imagine a house", photo=photo)
    [url] = urls_of(wait_prompt(ace))
    assert url.startswith(f"{public}/media/") and url.endswith(".jpg")
    assert not ace.uploads
    served = httpx.get(url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == photo
    assert raw_get(public, httpx.URL(url).raw_path.decode()) == 200, "raw_get reaches the media route"

    # Pictures the bot did not host, next to the media folder (the data folder, with bot.sqlite3)
    # and hidden inside it: only a plain hosted name is ever served, however the path is spelled.
    media = tmp_path / "media"
    assert (tmp_path / "bot.sqlite3").is_file() and media.is_dir()
    (tmp_path / "outside.jpg").write_bytes(photo)
    (media / ".hidden.jpg").write_bytes(photo)
    for path in (
        "/",
        "/media/",
        "/media/nope.jpg",
        "/media/.hidden.jpg",
        "/media/..",
        "/media/../bot.sqlite3",
        "/media/../outside.jpg",
        "/media/..%2Foutside.jpg",
        "/media/%2e%2e%2foutside.jpg",
        "/media/%2E%2E/outside.jpg",
        "/media/..%5Coutside.jpg",
        "/bot.sqlite3",
        "/outside.jpg",
        f"/file/bot{BOT_TOKEN}/x",
    ):
        assert raw_get(public, path) == 404, path
    assert_no_token_leaked(ace)

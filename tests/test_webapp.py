"""The Draw mask Mini App: Telegram initData checks, drawing → mask, and the page end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
import pytest
from PIL import Image

from bot.domain import Picker, Requester
from bot.mask import BadDrawing, mask_from_drawing
from bot.panels import picker_message
from bot.webapp import InitDataError, check_init_data
from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BOT_TOKEN, BotProcess, free_port
from tests.test_e2e_core import data_of, finished, imagine_requests, reply_to

ANN = FakeTelegram.user(11, "Ann", "ann")
PRIVATE = FakeTelegram.private(ANN)


def sign(fields: dict[str, str], token: str = BOT_TOKEN) -> str:
    """initData as Telegram builds it (https://core.telegram.org/bots/webapps#validating-data)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def init_data(user: dict[str, object], age: float = 0) -> str:
    return sign({"auth_date": str(int(time.time() - age)), "query_id": "AAE", "user": json.dumps(user)})


def test_init_data_is_checked() -> None:
    assert check_init_data(init_data(ANN), BOT_TOKEN) == Requester(11, "Ann", "ann")
    with pytest.raises(InitDataError, match="signature"):
        check_init_data(init_data(ANN), "999:other-token")
    with pytest.raises(InitDataError, match="signature"):
        check_init_data(init_data(ANN).replace("Ann", "Eve"), BOT_TOKEN)
    with pytest.raises(InitDataError, match="old"):
        check_init_data(init_data(ANN, age=7200), BOT_TOKEN)
    with pytest.raises(InitDataError, match="future"):
        check_init_data(init_data(ANN, age=-3600), BOT_TOKEN)
    assert check_init_data(init_data(ANN, age=-30), BOT_TOKEN).user_id == 11, "a little clock skew is fine"
    with pytest.raises(InitDataError):
        check_init_data("", BOT_TOKEN)
    with pytest.raises(InitDataError, match="incomplete"):
        check_init_data(sign({"auth_date": str(int(time.time()))}), BOT_TOKEN)


def _drawing(size: tuple[int, int], box: tuple[int, int, int, int] | None) -> bytes:
    picture = Image.new("RGBA", size, (0, 0, 0, 0))
    if box:
        picture.paste((255, 255, 255, 255), box)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def test_drawings_of_the_wrong_shape_or_over_budget_are_refused_before_decoding() -> None:
    bomb = io.BytesIO()
    Image.new("1", (9000, 9000), 0).save(bomb, "PNG", optimize=True)
    with pytest.raises(BadDrawing, match="budget"):
        mask_from_drawing(bomb.getvalue(), 9000, 9000)
    with pytest.raises(BadDrawing, match="shape"):
        mask_from_drawing(_drawing((100, 100), (0, 0, 50, 50)), 1030, 771)
    with pytest.raises(BadDrawing, match="unreadable"):
        mask_from_drawing(b"\x89PNG\r\n\x1a\nnot really", 1030, 771)
    assert mask_from_drawing(_drawing((412, 308), (0, 0, 50, 50)), 1030, 771) is not None, "any scale"


def test_drawing_becomes_a_full_size_mask() -> None:
    mask_b64 = mask_from_drawing(_drawing((206, 154), (0, 0, 103, 77)), 1030, 771)
    assert mask_b64 is not None
    mask = Image.open(io.BytesIO(base64.b64decode(mask_b64)))
    assert mask.size == (1030, 771) and mask.mode == "L"
    assert mask.getpixel((10, 10)) == 255 and mask.getpixel((1000, 700)) == 0
    assert mask.getpixel((514, 10)) == 255 and mask.getpixel((516, 10)) == 0
    assert mask_from_drawing(_drawing((206, 154), None), 1030, 771) is None


def test_draw_button_only_when_offered() -> None:
    picker = Picker("key12345", 11, "img", Requester(11, "Ann"), message_id=5)
    rows = picker_message(picker, b"jpeg", "https://bot.test/webapp/region/key12345").keyboard
    assert (
        rows[-1][0].label == "🖌 Draw mask"
        and rows[-1][0].web_app == "https://bot.test/webapp/region/key12345"
    )
    assert all(b.web_app is None for row in picker_message(picker, b"jpeg").keyboard for b in row)
    offered = picker_message(picker, b"jpeg", "https://bot.test/webapp/region/key12345").body
    assert "Or tap 🖌 Draw mask to paint the area freely." in offered
    assert "Draw mask" not in picker_message(picker, b"jpeg").body, "named only where it is offered"


def test_draw_mask_page_end_to_end(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.single_raw_size = (800, 600)
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    make_bot(PUBLIC_URL=public, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port)).start()
    request = tg.user_message(PRIVATE, ANN, "/imagine a queen")
    grid = finished(tg, reply_to(tg, PRIVATE["id"], request))
    tg.press(PRIVATE, ANN, grid.message_id, data_of(grid, "U1"))
    single = finished(tg, reply_to(tg, PRIVATE["id"], grid.message_id))
    tg.press(PRIVATE, ANN, single.message_id, data_of(single, "Vary (Region)"))
    picker = reply_to(tg, PRIVATE["id"], single.message_id)
    key = data_of(picker, "🚀 Submit").split(":")[1]
    page_url = f"{public}/webapp/region/{key}"

    page = httpx.get(page_url)
    raw = single.photo.replace(".png", "-raw.png") if single.photo else "?"
    assert page.status_code == 200 and raw in page.text, "the full-size picture, as sharp as the screen allows"
    closed = httpx.get(f"{public}/webapp/region/unknownkey", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert closed.status_code == 404 and "viewport" in closed.text and "这个选择器已关闭" in closed.text

    painted = base64.b64encode(_drawing((200, 150), (100, 75, 200, 150))).decode()
    empty = base64.b64encode(_drawing((200, 150), None)).decode()
    bob = FakeTelegram.user(12, "Bob")
    def refusal(init: str, mask: str) -> tuple[int, str]:
        answer = httpx.post(page_url, json={"init_data": init, "mask": mask})
        return answer.status_code, answer.json()["error"]

    assert refusal("user=%7B%7D&hash=00", painted) == (403, "not_telegram")
    assert refusal(init_data(ANN, age=7200), painted) == (403, "expired")
    assert refusal(init_data(bob), painted) == (403, "not_yours")
    assert refusal(init_data(ANN), "***") == (400, "bad_drawing")
    assert refusal(init_data(ANN), empty) == (422, "empty")
    assert not imagine_requests(ace, "variation_region")

    sent = httpx.post(page_url, json={"init_data": init_data(ANN), "mask": f"data:image/png;base64,{painted}",
                                      "prompt": "a silver crown"})  # fmt: skip
    assert sent.status_code == 200, sent.text
    result = finished(tg, reply_to(tg, PRIVATE["id"], picker.message_id))
    assert result.photo
    said = tg.messages[(PRIVATE["id"], picker.message_id)].rendered()[0]
    assert said == "🖌 Vary (Region): repainting the painted area…", "not a list of cells"
    [body] = imagine_requests(ace, "variation_region")
    assert body["prompt"] == "a silver crown"
    mask = next(r for r in ace.requests if (r["body"] or {}).get("action") == "variation_region")[
        "mask_image"
    ]
    gray = mask.convert("L")
    assert mask.size == (800, 600)
    assert gray.getpixel((700, 500)) == 255 and gray.getpixel((100, 100)) == 0
    assert httpx.post(page_url, json={"init_data": init_data(ANN), "mask": painted}).status_code == 404

"""The Draw mask Mini App: Telegram initData checks, drawing → mask, the picker's button (a web_app
in private chats, the app's direct link in groups), the page opened by that link, and the page end
to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time
from urllib.parse import urlencode

import httpx
import pytest
from PIL import Image
from pydantic import ValidationError
from starlette.applications import Starlette

from bot.config import Settings
from bot.core.domain import Image as Picture
from bot.core.domain import Picker, Requester
from bot.core.profile import Profile
from bot.features.regions import Answer, Outcome
from bot.features.regions.mask import BadDrawing, mask_from_drawing
from bot.render.picker import picker_message
from bot.web.miniapp import InitDataError, check_init_data, webapp_routes
from tests.fakes import FakeTelegram
from tests.harness import BOT_TOKEN

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
    huge = io.BytesIO()
    Image.new("RGBA", (4096, 4096), (0, 0, 0, 0)).save(huge, "PNG", optimize=True)
    with pytest.raises(BadDrawing, match="far larger"):  # 63 KB that would decode to 64 MB: refused unread
        mask_from_drawing(huge.getvalue(), 1024, 1024)
    assert mask_from_drawing(_drawing((2048, 1536), (0, 0, 50, 50)), 1030, 771) is not None, "a dense screen's canvas"


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


def test_in_groups_draw_mask_is_the_apps_direct_link() -> None:
    """Telegram refuses web_app buttons outside private chats: a group gets a url button."""
    picker = Picker("key12345", -100, "img", Requester(11, "Ann"), message_id=5)
    spec = picker_message(picker, b"jpeg", "https://t.me/mj_test_bot/draw?startapp=key12345")
    [button] = spec.keyboard[-1]
    assert button.label == "🖌 Draw mask" and button.web_app is None
    assert button.url == "https://t.me/mj_test_bot/draw?startapp=key12345"
    assert "Or tap 🖌 Draw mask to paint the area freely." in spec.body


@pytest.mark.parametrize("link", ["https://t.me/mj_test_bot/draw", "https://t.me/mj_test_bot", "https://t.me/mj_test_bot/draw/"])
def test_the_mini_app_link_setting_takes_direct_links(link: str) -> None:
    settings = Settings(telegram_bot_token="1:x", acedata_api_token="y", mini_app_link=link)  # type: ignore[arg-type]
    assert settings.mini_app_link == link.rstrip("/")
    assert Settings(telegram_bot_token="1:x", acedata_api_token="y", mini_app_link="").mini_app_link is None  # type: ignore[arg-type]


@pytest.mark.parametrize("link", ["http://t.me/mj_test_bot/draw", "https://example.com/draw", "mj_test_bot/draw",
                                  "https://t.me/mj_test_bot/draw?startapp=x", "https://t.me/a b"])  # fmt: skip
def test_the_mini_app_link_setting_refuses_anything_else(link: str) -> None:
    with pytest.raises(ValidationError, match="direct link"):
        Settings(telegram_bot_token="1:x", acedata_api_token="y", mini_app_link=link)  # type: ignore[arg-type]


class _Regions:
    """One open picker, key "key12345", owned by Ann (11)."""

    def __init__(self) -> None:
        self.drawings: list[Requester] = []

    async def page_data(self, key: str) -> tuple[Picker, Picture] | None:
        if key != "key12345":
            return None
        picker = Picker("key12345", -100, "img", Requester(11, "Ann", "ann", "zh"), message_id=5)
        return picker, Picture("img", "t1", "https://cdn.test/p.png", raw_image_url="https://cdn.test/p-raw.png")

    async def submit_drawing(self, key: str, user: Requester, drawing: bytes, prompt: str | None,
                             wishes: object = None) -> Outcome:  # fmt: skip
        if user.user_id != 11:
            return Outcome(Answer.NOT_YOURS, Requester(11, "Ann"))
        self.drawings.append(user)
        return Outcome(Answer.SUBMITTED)


class _Profiles:
    async def get(self, user_id: int) -> Profile:
        return Profile(user_id)


async def test_the_apps_fixed_address_opens_the_picker_named_by_the_start_parameter() -> None:
    regions = _Regions()
    app = Starlette(routes=webapp_routes(regions, _Profiles(), BOT_TOKEN))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://bot.test") as http:
        page = await http.get("/webapp/region", params={"tgWebAppStartParam": "key12345"})
        assert page.status_code == 200 and "p-raw.png" in page.text
        assert 'data-action="region/key12345"' in page.text, "the picker's path, relative to the page (a PUBLIC_URL may have a path)"
        assert 'lang="zh-Hans"' in page.text, "in the picker owner's language"
        assert (await http.get("/webapp/region/", params={"tgWebAppStartParam": "key12345"})).status_code == 200
        for bad in ("", "unknown", "../key12345", "key12345/x", "k" * 600):
            answer = await http.get("/webapp/region", params={"tgWebAppStartParam": bad} if bad else None)
            assert answer.status_code == 404 and "viewport" in answer.text, bad
        # The start parameter names the picker; only a signature by its owner paints it.
        painted = base64.b64encode(_drawing((40, 30), (0, 0, 20, 15))).decode()
        bob = sign({"auth_date": str(int(time.time())), "start_param": "key12345", "user": json.dumps({"id": 12})})
        for init, status in ((f"start_param=key12345&user={json.dumps(ANN)}", 403), (bob, 403),
                             (init_data(ANN), 200)):  # fmt: skip
            answer = await http.post("/webapp/region/key12345", headers={"Authorization": "tma " + init}, json={"mask": painted})
            assert answer.status_code == status, (init, answer.text)
        assert [user.user_id for user in regions.drawings] == [11]
        assert (await http.post("/webapp/region", headers={"Authorization": "tma " + init_data(ANN)}, json={"mask": painted})).status_code == 405


def test_a_signed_but_odd_sign_in_is_still_refused() -> None:
    """auth_date must be a whole number (`nan` once passed the age check); a name's bidi overrides
    and invisible marks are dropped before it is ever shown."""
    for odd in ("nan", "inf", "1e99", "12.5"):
        with pytest.raises(InitDataError, match="incomplete"):
            check_init_data(sign({"auth_date": odd, "user": json.dumps(ANN)}), BOT_TOKEN)
    spoofed = {**ANN, "first_name": "\u202eAnn\u200b"}
    assert check_init_data(init_data(spoofed), BOT_TOKEN).first_name == "Ann"

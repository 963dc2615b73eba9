"""The Draw mask page as people meet it, in Debian's Chromium (Playwright; tests/browser_kit.py):
first paint while Telegram's script hangs, every control in view at phone and desktop sizes,
paint that stands out on white and on black, sending through Telegram's MainButton, what each
refusal says, and Telegram's dark theme. Skipped, saying why, where Chromium is not installed
(`.ci/run` installs it, so CI always runs them)."""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from PIL import Image

pytest.importorskip("playwright", reason="Playwright is not installed: pip install -e '.[test]'")

from bot.domain import Refusal, Refused, Requester
from bot.regions import Answer
from tests.browser_kit import (
    CHROMIUM,
    DARK_THEME,
    OWNER,
    Site,
    browser,
    calls,
    fake_telegram,
    open_page,
    paint,
    picture,
    sign,
)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install -y chromium")
CONTROLS = ("#head", "#pic", "#size", "#undo", "#clear", "#prompt")
STROKE = [(0.2, 0.5), (0.5, 0.52), (0.8, 0.5)]


def _site(**changes: object) -> Site:
    site = Site(telegram=fake_telegram(sign(OWNER)))
    for name, value in changes.items():
        setattr(site, name, value)
    return site


async def test_the_page_paints_at_once_while_telegrams_script_hangs() -> None:
    site = Site(telegram=None)  # the script never arrives
    async with browser() as chromium:
        began = time.monotonic()
        page = await open_page(chromium, site, wait=False)
        await page.wait_for_function("() => document.getElementById('pic').naturalWidth > 0"
                                     " && document.getElementById('ink').width > 1", timeout=3000)  # fmt: skip
        ready = time.monotonic() - began
        paint_at = await page.evaluate("() => performance.getEntriesByName('first-contentful-paint')[0].startTime")
        assert ready < 3.0 and paint_at < 2000, (ready, paint_at)
        for selector in (*CONTROLS, "#send"):
            assert await page.locator(selector).is_visible(), selector
        await paint(page, STROKE)  # painting never waits for Telegram
        assert await page.evaluate("() => !document.getElementById('undo').disabled")
        await page.click("#send")
        note = await page.text_content("#note")
        assert note == "Open this from the 🖌 Draw mask button in Telegram."


@pytest.mark.parametrize(("width", "height"), [(390, 844), (844, 390), (1280, 800)])
async def test_every_control_is_in_view_and_big_enough(width: int, height: int) -> None:
    async with browser() as chromium:
        page = await open_page(chromium, _site(), width=width, height=height)
        scroll = await page.evaluate("() => [document.scrollingElement.scrollHeight, innerHeight,"
                                     " document.scrollingElement.scrollWidth, innerWidth]")  # fmt: skip
        assert scroll[0] <= scroll[1] and scroll[2] <= scroll[3], f"the page scrolls: {scroll}"
        for selector in CONTROLS:
            box = await page.locator(selector).bounding_box()
            assert box is not None, selector
            assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
            assert box["x"] + box["width"] <= width + 0.5 and box["y"] + box["height"] <= height + 0.5, (selector, box)
            if selector in ("#size", "#undo", "#clear", "#prompt"):
                assert box["height"] >= 44, (selector, box)
        assert await page.evaluate("() => getComputedStyle(document.getElementById('prompt')).fontSize") == "16px"
        pic = await page.locator("#pic").bounding_box()
        ink = await page.locator("#ink").bounding_box()
        assert pic and ink and abs(pic["x"] - ink["x"]) < 1 and abs(pic["width"] - ink["width"]) < 1
        assert await page.evaluate("() => document.getElementById('ink').width") >= round(ink["width"] * 2) - 1, (
            "the canvas has the screen's device pixels"
        )
        assert await page.locator("#send").is_hidden(), "Telegram's MainButton sends"
        made = await calls(page)
        assert {"ready", "expand", "disableVerticalSwipes", "MainButton.setParams"} <= set(made), made


@pytest.mark.parametrize("background", [(255, 255, 255), (0, 0, 0)], ids=["white", "black"])
async def test_paint_stands_out_on_white_and_on_black(background: tuple[int, int, int]) -> None:
    def luminance(rgb: tuple[int, ...]) -> float:
        def linear(c: int) -> float:
            v = c / 255
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b = (linear(c) for c in rgb[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    async with browser() as chromium:
        page = await open_page(chromium, _site(picture=picture(800, 600, background)), scale=1)
        await paint(page, STROKE)
        box = await page.locator("#ink").bounding_box()
        assert box is not None
        shot = Image.open(io.BytesIO(await page.screenshot())).convert("RGB")
        painted = shot.getpixel((int(box["x"] + box["width"] * 0.5), int(box["y"] + box["height"] * 0.51)))
        bare = shot.getpixel((int(box["x"] + box["width"] * 0.5), int(box["y"] + box["height"] * 0.15)))
        assert isinstance(painted, tuple) and isinstance(bare, tuple)
        light, dark = sorted((luminance(painted), luminance(bare)), reverse=True)
        ratio = (light + 0.05) / (dark + 0.05)
        assert ratio >= 3.0, f"paint {painted} on {bare}: {ratio:.2f}:1"


async def test_repaint_is_sent_with_the_main_button_once() -> None:
    site = _site(hold_posts=asyncio.Event())
    async with browser() as chromium:
        page = await open_page(chromium, site)
        await page.evaluate("() => window.Telegram.WebApp.MainButton.click()")
        assert await page.text_content("#note") == "Paint over the part to change first."
        await paint(page, STROKE)
        await page.fill("#prompt", "a golden crown")
        await page.evaluate("() => window.Telegram.WebApp.MainButton.click()")
        await page.wait_for_function("() => window.Telegram.WebApp.MainButton.isProgressVisible")
        assert not await page.evaluate("() => window.Telegram.WebApp.MainButton.isActive"), "disabled while sending"
        assert await page.text_content("#note") == "Sending…"
        await page.evaluate("() => window.Telegram.WebApp.MainButton.click()")  # a double tap
        assert site.hold_posts is not None
        site.hold_posts.set()
        await page.wait_for_function("() => document.getElementById('note').className === 'ok'")
        assert await page.text_content("#note") == "Sent! Repainting the painted area…"
        button = await page.evaluate("() => window.Telegram.WebApp.MainButton")
        assert button["text"] == "Sent" and not button["isActive"] and not button["isProgressVisible"]
        assert site.posts == 1 and len(site.regions.drawings) == 1, "one request for a double tap"
        drawing, prompt = site.regions.drawings[0]
        sent = Image.open(io.BytesIO(drawing))
        assert prompt == "a golden crown" and abs(sent.width / sent.height - 1024 / 768) < 0.02
        assert sent.getchannel("A").getbbox() is not None, "the strokes, at the screen's pixels"
        await page.wait_for_function("() => window.Telegram.WebApp.calls.includes('close')")
        assert "haptic:success" in await calls(page)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("tampered", "Open this from the 🖌 Draw mask button in Telegram."),
        ("expired", "This link has expired: tap 🖌 Draw mask in the chat again."),
        ("stranger", "Only the person who asked can repaint this picture."),
        ("closed", "This picture was already submitted or cancelled: tap Vary (Region) in the chat to start again."),
        ("limit", "Your daily limit of 3 is used up."),
        ("offline", "No connection. Check your internet and tap Repaint again."),
        ("server", "Something went wrong on our side. Please try again in a moment."),
        ("chinese", "只有发起的人可以重绘这张图片。"),
    ],
)
async def test_each_refusal_says_what_to_do(case: str, expected: str) -> None:
    init = {
        "tampered": sign(OWNER).replace("Ann", "Eve"), "expired": sign(OWNER, age=7200),
        "stranger": sign({"id": 12, "first_name": "Bob"}), "chinese": sign({"id": 12, "first_name": "Bob"}),
    }.get(case, sign(OWNER))  # fmt: skip
    site = Site(telegram=fake_telegram(init), offline=case == "offline", server_error=case == "server")
    if case == "chinese":
        site.regions.owner = Requester(11, "安", "ann", "zh")
    if case == "limit":
        site.regions.answer, site.regions.refused = Answer.REFUSED, Refused(Refusal.USER_DAILY, 3)
    async with browser() as chromium:
        page = await open_page(chromium, site)
        await paint(page, STROKE)
        site.regions.closed = case == "closed"
        await page.evaluate("() => window.Telegram.WebApp.MainButton.click()")
        await page.wait_for_function("() => document.getElementById('note').className === 'error'")
        assert (await page.text_content("#note") or "").startswith(expected)
        assert "haptic:error" in await calls(page)
        assert await page.evaluate("() => window.Telegram.WebApp.MainButton.isActive"), "it can be tried again"


async def test_telegrams_dark_theme_colours_the_page() -> None:
    site = Site(telegram=fake_telegram(sign(OWNER), scheme="dark"))
    async with browser() as chromium:
        page = await open_page(chromium, site)
        colours = await page.evaluate("""() => Object.fromEntries(['body', '#prompt', '#undo', '#head']
            .map((s) => [s, [getComputedStyle(document.querySelector(s)).backgroundColor,
                             getComputedStyle(document.querySelector(s)).color]]))""")
        assert colours["body"] == ["rgb(23, 33, 43)", "rgb(245, 245, 245)"]
        assert colours["#prompt"] == ["rgb(35, 46, 60)", "rgb(245, 245, 245)"]
        assert colours["#undo"] == ["rgb(35, 46, 60)", "rgb(245, 245, 245)"], "no light browser buttons"
        assert colours["#head"][1] == "rgb(112, 132, 153)", "hints in the theme's hint colour"
        assert f"setHeaderColor:{DARK_THEME['bg_color']}" in await calls(page)
    # Outside Telegram, the system's dark mode is followed too.
    async with browser() as chromium:
        page = await open_page(chromium, Site(telegram=None), scheme="dark")
        assert await page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(23, 33, 43)"


async def test_closed_pickers_and_missing_pictures_get_styled_pages() -> None:
    site = _site(picture_status=404)
    async with browser() as chromium:
        page = await open_page(chromium, site, wait=False)
        await page.wait_for_function("() => document.getElementById('note').className === 'error'")
        assert await page.text_content("#note") == "The picture could not be loaded. Tap 🖌 Draw mask in the chat again."
        site.regions.closed = True
        closed = await open_page(chromium, site, wait=False)
        await closed.wait_for_load_state()
        assert await closed.text_content("h1") == "This picker is closed"
        assert await closed.evaluate("() => !!document.querySelector('meta[name=viewport]')")
        assert await closed.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)") >= 18

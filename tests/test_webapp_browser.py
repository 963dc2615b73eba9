"""The Draw mask page as people meet it, in Debian's Chromium (Playwright; tests/browser_kit.py):
first paint while Telegram's script hangs, every control in view at phone and desktop sizes, the
picture as large as the screen allows, see-through paint with an edge that stands out on white and
on black, the box tool, sending through Telegram's MainButton, what each refusal says, and
Telegram's dark theme. Skipped, saying why, where Chromium is not installed
(`.ci/run` installs it, so CI always runs them)."""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from PIL import Image

pytest.importorskip("playwright", reason="Playwright is not installed: pip install -e '.[test]'")

from bot.core.domain import Refusal, Refused, Requester
from bot.features.regions.service import Answer
from tests.browser_kit import (
    CHROMIUM,
    DARK_THEME,
    OWNER,
    Site,
    browser,
    calls,
    contrast,
    fake_telegram,
    open_page,
    paint,
    picture,
    sign,
    signed_site,
    touch,
)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install -y chromium")
CONTROLS = ("#head", "#pic", "#brush", "#box", "#size", "#undo", "#clear", "#prompt")
SIZES = [(390, 844), (844, 390), (1280, 800), (320, 568), (568, 320)]
STROKE = [(0.2, 0.5), (0.5, 0.52), (0.8, 0.5)]


async def test_the_page_paints_at_once_while_telegrams_script_hangs() -> None:
    site = Site(telegram=None)  # the script never arrives
    async with browser() as chromium:
        began = time.monotonic()
        page = await open_page(chromium, site, wait=False)
        await page.wait_for_function("() => document.getElementById('pic').naturalWidth > 0"
                                     " && document.getElementById('ink').width > 1", timeout=3000)  # fmt: skip
        ready = time.monotonic() - began
        await page.wait_for_function("() => performance.getEntriesByName('first-contentful-paint').length > 0")
        paint_at = await page.evaluate("() => performance.getEntriesByName('first-contentful-paint')[0].startTime")
        assert ready < 3.0 and paint_at < 2000, (ready, paint_at)
        for selector in (*CONTROLS, "#send"):
            assert await page.locator(selector).is_visible(), selector
        await paint(page, STROKE)  # painting never waits for Telegram
        assert await page.evaluate("() => !document.getElementById('undo').disabled")
        await page.click("#send")
        note = await page.text_content("#note")
        assert note == "Open this from the 🖌 Draw mask button in Telegram."


@pytest.mark.parametrize(("width", "height"), SIZES)
async def test_every_control_is_in_view_big_enough_and_none_wraps_onto_a_row_of_its_own(width: int, height: int) -> None:
    async with browser() as chromium:
        page = await open_page(chromium, signed_site(), width=width, height=height)
        top = {s: (await page.locator(s).bounding_box() or {}).get("y") for s in ("#brush", "#box", "#size", "#undo", "#clear")}
        assert top["#undo"] == top["#clear"], f"Clear on a row of its own: {top}"
        assert top["#brush"] == top["#box"] and abs((top["#size"] or 0) - (top["#brush"] or 0)) < 2, top
        scroll = await page.evaluate("() => [document.scrollingElement.scrollHeight, innerHeight,"
                                     " document.scrollingElement.scrollWidth, innerWidth]")  # fmt: skip
        assert scroll[0] <= scroll[1] and scroll[2] <= scroll[3], f"the page scrolls: {scroll}"
        for selector in CONTROLS:
            box = await page.locator(selector).bounding_box()
            assert box is not None, selector
            assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
            assert box["x"] + box["width"] <= width + 0.5 and box["y"] + box["height"] <= height + 0.5, (selector, box)
            if selector in ("#brush", "#box", "#size", "#undo", "#clear", "#prompt"):
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
async def test_the_paint_is_see_through_and_its_edge_stands_out_on_white_and_on_black(
    background: tuple[int, int, int],
) -> None:
    """What is being repainted shows through the paint (40–50 % opaque, overlaps no darker); the
    black-and-white edge keeps at least 3:1 against the picture."""
    async with browser() as chromium:
        page = await open_page(chromium, signed_site(picture=picture(800, 600, background)), scale=1)
        await paint(page, STROKE)
        await paint(page, [(0.5, 0.2), (0.5, 0.8)])  # crossing the first stroke
        box = await page.locator("#ink").bounding_box()
        assert box is not None
        shot = Image.open(io.BytesIO(await page.screenshot())).convert("RGB")

        def at(fx: float, fy: float) -> tuple[int, ...]:
            return shot.getpixel((int(box["x"] + box["width"] * fx), int(box["y"] + box["height"] * fy)))  # type: ignore

        ink = (230, 0, 180)
        channel = max(range(3), key=lambda c: abs(ink[c] - background[c]))
        once, twice = at(0.3, 0.51), at(0.5, 0.51)
        opacity = (once[channel] - background[channel]) / (ink[channel] - background[channel])
        assert 0.40 <= opacity <= 0.50, f"paint {once} on {background}: {opacity:.0%} opaque"
        assert max(abs(a - b) for a, b in zip(once, twice, strict=True)) <= 3, "overlapping strokes, one paint"
        column = [at(0.3, 0.30 + i / 500) for i in range(100)]  # down across the first stroke's edge
        best = max(contrast(pixel, background) for pixel in column)
        assert best >= 3.0, f"the edge on {background}: {best:.2f}:1"


@pytest.mark.parametrize(("size", "natural"), [((390, 844), (1024, 768)), ((390, 844), (512, 1024)),
                                               ((320, 568), (1024, 1024))])  # fmt: skip
async def test_in_portrait_the_picture_takes_the_width_or_the_free_height(
    size: tuple[int, int], natural: tuple[int, int]
) -> None:
    """No empty bands around it: the width, or the free height if that binds first; the tools right under."""
    width, height = size
    async with browser() as chromium:
        page = await open_page(chromium, signed_site(picture=picture(*natural)), width=width, height=height)
        pic, head, tools, side, ink = [await page.locator(s).bounding_box() for s in ("#pic", "#head", "#tools", "#side", "#ink")]
        assert pic and head and tools and side and ink
        free = height - head["height"] - side["height"]
        assert pic["width"] >= width - 1 or pic["height"] >= free - 1, (pic, free)
        assert pic["y"] - (head["y"] + head["height"]) <= 1, "nothing between the instruction and the picture"
        assert tools["y"] - (pic["y"] + pic["height"]) <= 12, "the tools right under the picture"
        assert all(abs(pic[k] - ink[k]) < 1 for k in ("x", "y", "width", "height")), "the canvas lies over it"


async def test_the_box_tool_paints_a_filled_rectangle() -> None:
    site = signed_site()
    async with browser() as chromium:
        page = await open_page(chromium, site)
        pressed = '() => ["brush", "box"].map((id) => document.getElementById(id).getAttribute("aria-pressed"))'
        assert await page.evaluate(pressed) == ["true", "false"]
        await page.click("#box")
        assert await page.evaluate(pressed) == ["false", "true"]
        assert await page.is_disabled("#size"), "the brush size does not apply to a box"
        await paint(page, [(0.5, 0.5)])  # a tap: no box
        assert await page.is_disabled("#undo")
        await paint(page, [(0.2, 0.25), (0.6, 0.75)])
        assert not await page.is_disabled("#undo")
        await page.evaluate("() => window.Telegram.WebApp.MainButton.click()")
        await page.wait_for_function("() => document.getElementById('note').className === 'ok'")
        [(drawing, _)] = site.regions.drawings
        sent = Image.open(io.BytesIO(drawing)).getchannel("A")
        w, h = sent.size
        bbox = sent.getbbox() or (0, 0, 0, 0)
        assert all(abs(got / size - want) < 0.02 for got, size, want in zip(bbox, (w, h, w, h), (0.2, 0.25, 0.6, 0.75),
                                                                           strict=True)), bbox  # fmt: skip
        for fx, fy in ((0.21, 0.26), (0.59, 0.74), (0.4, 0.5), (0.21, 0.74)):
            assert sent.getpixel((int(w * fx), int(h * fy))) == 255, ("filled to its corners", fx, fy)
        assert sent.getpixel((int(w * 0.1), int(h * 0.5))) == 0


async def test_repaint_is_sent_with_the_main_button_once() -> None:
    site = signed_site(hold_posts=asyncio.Event())
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
        again = case in ("limit", "offline", "server")  # trying again may help; else the button stays off
        assert await page.evaluate("() => window.Telegram.WebApp.MainButton.isActive") is again


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
        assert colours["#head"][1] == "rgb(245, 245, 245)", "the instruction in the theme's text colour"
        placeholder = await page.evaluate("() => getComputedStyle(document.getElementById('prompt'), '::placeholder').color")
        assert placeholder == "rgb(112, 132, 153)", "hints in the theme's hint colour"
        assert f"setHeaderColor:{DARK_THEME['bg_color']}" in await calls(page)
    # Outside Telegram, the system's dark mode is followed too.
    async with browser() as chromium:
        page = await open_page(chromium, Site(telegram=None), scheme="dark")
        assert await page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(23, 33, 43)"


async def test_closed_pickers_and_missing_pictures_get_styled_pages() -> None:
    site = signed_site(picture_status=404)
    async with browser() as chromium:
        page = await open_page(chromium, site, wait=False)
        await page.wait_for_function("() => document.getElementById('note').className === 'error'")
        assert await page.text_content("#note") == "The picture could not be loaded. Tap 🖌 Draw mask in the chat again."
        for selector in ("#stage", "#tools", "#prompt"):
            assert await page.locator(selector).is_hidden(), selector
        await page.wait_for_function("() => window.Telegram && !window.Telegram.WebApp.MainButton.isVisible")
        site.regions.closed = True
        closed = await open_page(chromium, site, wait=False)
        await closed.wait_for_load_state()
        assert await closed.text_content("h1") == "This picker is closed"
        assert await closed.evaluate("() => !!document.querySelector('meta[name=viewport]')")
        assert await closed.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)") >= 18


async def test_fingers_undo_brush_size_and_rotation() -> None:
    async with browser() as chromium:
        page = await open_page(chromium, signed_site())
        box = await page.locator("#ink").bounding_box()
        assert box is not None
        x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
        await touch(page, "pointerdown", x0 + w * 0.2, y0 + h * 0.3, 1, True)
        await touch(page, "pointerdown", x0 + w * 0.9, y0 + h * 0.9, 2, False)  # a second finger
        for step in range(1, 6):
            await touch(page, "pointermove", x0 + w * (0.2 + step * 0.1), y0 + h * 0.3, 1, True)
            await touch(page, "pointermove", x0 + w * 0.9, y0 + h * (0.9 - step * 0.1), 2, False)
        await touch(page, "pointerup", x0 + w * 0.7, y0 + h * 0.3, 1, True)
        painted = "(x, y) => document.getElementById('ink').getContext('2d').getImageData(x, y, 1, 1).data[3]"
        px = await page.evaluate("() => document.getElementById('ink').width / document.getElementById('ink').clientWidth")
        assert await page.evaluate(f"() => ({painted})({int(w * 0.45 * px)}, {int(h * 0.3 * px)})") > 0
        assert await page.evaluate(f"() => ({painted})({int(w * 0.9 * px)}, {int(h * 0.6 * px)})") == 0, (
            "the second finger painted nothing"
        )
        await page.fill("#size", "110")
        await page.dispatch_event("#size", "input")
        assert await page.locator("#preview").is_visible(), "the brush's true size is shown over the picture"
        preview = await page.locator("#preview").bounding_box()
        assert preview is not None and 105 <= preview["width"] <= 125
        await paint(page, [(0.5, 0.8), (0.6, 0.8)])
        strokes = await page.evaluate(f"() => ({painted})({int(w * 0.55 * px)}, {int(h * 0.8 * px)})")
        assert strokes > 0
        await page.click("#undo")  # step by step: the wide stroke goes, the first stays
        assert await page.evaluate(f"() => ({painted})({int(w * 0.55 * px)}, {int(h * 0.8 * px)})") == 0
        assert await page.evaluate(f"() => ({painted})({int(w * 0.45 * px)}, {int(h * 0.3 * px)})") > 0
        await page.set_viewport_size({"width": 844, "height": 390})  # the phone turns
        await page.wait_for_timeout(200)
        pic, ink = await page.locator("#pic").bounding_box(), await page.locator("#ink").bounding_box()
        assert pic and ink and abs(pic["x"] - ink["x"]) < 1 and abs(pic["y"] - ink["y"]) < 1
        assert abs(pic["width"] - ink["width"]) < 1 and abs(pic["height"] - ink["height"]) < 1
        await page.click("#clear")
        assert await page.evaluate("() => document.getElementById('undo').disabled")


async def test_a_message_never_moves_the_picture_under_the_brush() -> None:
    async with browser() as chromium:
        page = await open_page(chromium, signed_site(), width=320, height=568)
        before = await page.locator("#pic").bounding_box()
        await page.evaluate("() => window.Telegram.WebApp.MainButton.click()")  # "Paint over … first."
        await page.evaluate("() => { const n = document.getElementById('note'); n.textContent += ' ' + n.textContent; }")
        after = await page.locator("#pic").bounding_box()
        assert before == after, (before, after)


async def test_without_telegrams_script_the_address_still_signs_in_and_the_page_fits_320_px() -> None:
    from urllib.parse import quote

    site = Site(telegram=None)
    async with browser() as chromium:
        page = await open_page(chromium, site, width=320, height=568, fragment=f"#tgWebAppData={quote(sign(OWNER))}")
        scroll = await page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth]")
        assert scroll[0] <= scroll[1], scroll
        for selector in ("#send", "#undo", "#clear", "#size", "#prompt"):
            box = await page.locator(selector).bounding_box()
            assert box is not None and box["x"] + box["width"] <= 320.5 and box["height"] >= 44, (selector, box)
        await paint(page, STROKE)
        await page.evaluate("() => { const b = document.getElementById('send'); b.click(); b.click(); }")
        await page.wait_for_function("() => document.getElementById('note').className === 'ok'")
        assert site.posts == 1 and len(site.regions.drawings) == 1, "sent once, signed by the address"


async def test_a_double_tap_racing_the_disable_sends_once() -> None:
    site = signed_site()
    async with browser() as chromium:
        page = await open_page(chromium, site)
        await paint(page, STROKE)
        await page.evaluate("() => window.Telegram.WebApp.MainButton.handlers.forEach((f) => { f(); f(); })")
        await page.wait_for_function("() => document.getElementById('note').className === 'ok'")
        assert site.posts == 1


async def test_the_paint_is_edged_so_it_stands_out_on_mid_tones() -> None:
    async with browser() as chromium:
        page = await open_page(chromium, signed_site(picture=picture(800, 600, (128, 128, 128), solid=True)), scale=1)
        await paint(page, STROKE)
        box = await page.locator("#ink").bounding_box()
        assert box is not None
        shot = Image.open(io.BytesIO(await page.screenshot())).convert("RGB")
        x = int(box["x"] + box["width"] * 0.5)
        column = [shot.getpixel((x, y)) for y in range(int(box["y"]), int(box["y"] + box["height"]))]
        assert any(isinstance(p, tuple) and max(p) < 50 for p in column), "a dark edge"
        assert any(isinstance(p, tuple) and min(p) > 200 for p in column), "a light edge"

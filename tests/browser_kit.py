"""The Draw mask page in Debian's Chromium, driven by Playwright, with no server and no network.

Every request of the page is answered in-process: the bot's real Mini App routes (`webapp_routes`)
run on `httpx.ASGITransport` with stand-in regions and profiles; the picture is a PNG made here;
Telegram's `telegram-web-app.js` is a stand-in `WebApp` (MainButton, haptics, theme, sign-in data
signed with the test bot token) that records what the page does with it, or hangs, or is missing.
Used by tests/test_webapp_browser.py and scripts/screenshots.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from PIL import Image as PILImage
from playwright.async_api import Browser, Page, Route, async_playwright
from starlette.applications import Starlette

from bot.core.domain import Image, Picker, Refused, Requester
from bot.core.profile import Profile
from bot.features.regions.service import Answer, Outcome
from bot.web.miniapp import WEBAPP_PATH, webapp_routes

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BASE = "https://bot.test"
KEY = "AbCdEfGh123"
PAGE_URL = f"{BASE}{WEBAPP_PATH}/{KEY}"
PICTURE_URL = f"{BASE}/pictures/single.png"
TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"
BOT_TOKEN = "123456789:TEST-bot-token-do-not-leak-0123456789"
OWNER = {"id": 11, "first_name": "Ann", "username": "ann", "language_code": "en"}
DARK_THEME = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499", "button_color": "#5288c1",
              "button_text_color": "#ffffff", "secondary_bg_color": "#232e3c"}  # fmt: skip
LIGHT_THEME = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#999999", "button_color": "#2481cc",
               "button_text_color": "#ffffff", "secondary_bg_color": "#efeff3"}  # fmt: skip
_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip


def sign(user: dict[str, Any], age: float = 0, token: str = BOT_TOKEN) -> str:
    """initData as Telegram builds it."""
    fields = {"auth_date": str(int(time.time() - age)), "query_id": "AAE", "user": json.dumps(user)}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def picture(
    width: int = 1024, height: int = 768, color: tuple[int, int, int] = (90, 140, 200), *, solid: bool = False
) -> bytes:
    """One colour (`solid`, or white or black), else a gradient with a round "subject"."""
    out = io.BytesIO()
    if solid or color in ((0, 0, 0), (255, 255, 255)):
        PILImage.new("RGB", (width, height), color).save(out, "PNG")
    else:  # a gradient with a "subject", so screenshots look like something
        image = PILImage.new("RGB", (width, height))
        pixels = image.load()
        assert pixels is not None
        for y in range(height):
            for x in range(0, width):
                inside = (x - width * 0.55) ** 2 + (y - height * 0.5) ** 2 < (min(width, height) * 0.22) ** 2
                pixels[x, y] = (230, 120, 40) if inside else (color[0] + y * 60 // height, color[1], color[2] - x * 60 // width)
        image.save(out, "PNG")
    return out.getvalue()


def fake_telegram(init_data: str, scheme: str = "light", theme: dict[str, str] | None = None) -> str:
    """A stand-in for telegram-web-app.js: the parts of `Telegram.WebApp` the page uses, recording."""
    return """(() => {
  const calls = [];
  const MainButton = { text: "", isVisible: false, isActive: true, isProgressVisible: false, handlers: [],
    setParams(p) { if ("text" in p) this.text = p.text; if ("is_visible" in p) this.isVisible = p.is_visible;
                   if ("is_active" in p) this.isActive = p.is_active; calls.push("MainButton.setParams"); return this; },
    setText(t) { this.text = t; return this; }, show() { this.isVisible = true; return this; },
    hide() { this.isVisible = false; return this; }, enable() { this.isActive = true; return this; },
    disable() { this.isActive = false; return this; },
    showProgress() { this.isProgressVisible = true; return this; }, hideProgress() { this.isProgressVisible = false; return this; },
    onClick(f) { this.handlers.push(f); return this; },
    click() { calls.push("MainButton.click"); if (this.isActive && this.isVisible) this.handlers.forEach((f) => f()); } };
  window.Telegram = { WebApp: { initData: INIT, colorScheme: SCHEME, themeParams: THEME, version: "8.0", calls, MainButton,
    ready() { calls.push("ready"); }, expand() { calls.push("expand"); },
    disableVerticalSwipes() { calls.push("disableVerticalSwipes"); }, close() { calls.push("close"); },
    onEvent(name) { calls.push("onEvent:" + name); }, setHeaderColor(c) { calls.push("setHeaderColor:" + c); },
    HapticFeedback: { notificationOccurred(t) { calls.push("haptic:" + t); }, impactOccurred(t) { calls.push("impact:" + t); } } } };
})();""".replace("INIT", json.dumps(init_data)).replace("SCHEME", json.dumps(scheme)).replace(
        "THEME", json.dumps(theme or (DARK_THEME if scheme == "dark" else LIGHT_THEME))
    )


@dataclass
class Regions:
    """Stands in for RegionService: one open picker, whose answer to a painting the test chooses."""

    owner: Requester = field(default_factory=lambda: Requester(11, "Ann", "ann", "en"))
    answer: Answer = Answer.SUBMITTED
    refused: Refused | None = None
    closed: bool = False
    drawings: list[tuple[bytes, str | None]] = field(default_factory=list)

    async def page_data(self, key: str) -> tuple[Picker, Image] | None:
        if key != KEY or self.closed:
            return None
        picker = Picker(KEY, 11, "img", self.owner, message_id=5)
        return picker, Image("img", "t1", f"{BASE}/pictures/preview.png", raw_image_url=PICTURE_URL)

    async def submit_drawing(self, key: str, user: Requester, drawing: bytes, prompt: str | None,
                             wishes: object = None) -> Outcome:  # fmt: skip
        if user.user_id != self.owner.user_id:
            return Outcome(Answer.NOT_YOURS, self.owner)
        self.drawings.append((drawing, prompt))
        return Outcome(self.answer, refused=self.refused)


class Profiles:
    async def get(self, user_id: int) -> Profile:
        return Profile(user_id)


@dataclass
class Site:
    """What the page can reach; tests change it between requests."""

    regions: Regions = field(default_factory=Regions)
    telegram: str | None = None  # the script's body; None: it never answers (a hanging CDN)
    telegram_delay: float = 0.0
    picture: bytes = field(default_factory=picture)
    picture_status: int = 200
    hold_posts: asyncio.Event | None = None  # set to let held POSTs through
    offline: bool = False
    server_error: bool = False
    posts: int = 0

    def __post_init__(self) -> None:
        app = Starlette(routes=webapp_routes(self.regions, Profiles(), BOT_TOKEN))  # type: ignore[arg-type]
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)

    async def handle(self, route: Route) -> None:
        request = route.request
        url = request.url
        if url.startswith(TELEGRAM_JS):
            if self.telegram is None:
                await asyncio.sleep(3600)
            await asyncio.sleep(self.telegram_delay)
            await route.fulfill(status=200, content_type="application/javascript", body=self.telegram)
        elif url.startswith(f"{BASE}/pictures/"):
            if self.picture_status != 200:
                await route.fulfill(status=self.picture_status, content_type="text/plain", body="not found")
                return
            await route.fulfill(status=200, content_type="image/png", body=self.picture)
        elif url.startswith(BASE):
            if request.method == "POST":
                self.posts += 1
                if self.hold_posts is not None:
                    await self.hold_posts.wait()
                if self.offline:
                    await route.abort("internetdisconnected")
                    return
                if self.server_error:
                    await route.fulfill(status=502, content_type="text/html", body="<h1>Bad gateway</h1>")
                    return
            answer = await self.http.request(request.method, url, content=request.post_data_buffer,
                                             headers=request.headers)  # fmt: skip
            await route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=answer.content)
        else:
            await route.abort("blockedbyclient")


def signed_site(**changes: object) -> Site:
    """A site whose Telegram script is the stand-in, signed in as the picker's owner."""
    site = Site(telegram=fake_telegram(sign(OWNER)))
    for name, value in changes.items():
        setattr(site, name, value)
    return site


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM is not None
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def open_page(
    chromium: Browser, site: Site, *, width: int = 390, height: int = 844, scheme: str = "light",
    wait: bool = True, scale: float = 2, fragment: str = "",
) -> Page:  # fmt: skip
    context = await chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                                         color_scheme=scheme, has_touch=width < 1000)  # type: ignore[arg-type]  # fmt: skip
    page = await context.new_page()
    await page.route("**/*", site.handle)
    await page.goto(PAGE_URL + fragment, wait_until="commit")
    if wait:
        await page.wait_for_function("() => document.getElementById('ink') && document.getElementById('ink').width > 1")
        if site.telegram is not None:  # and the page has met Telegram's (stand-in) script
            await page.wait_for_function("() => window.Telegram && window.Telegram.WebApp.calls.includes('ready')")
    return page


async def paint(page: Page, points: list[tuple[float, float]]) -> None:
    """A stroke through points given as fractions of the canvas."""
    box = await page.locator("#ink").bounding_box()
    assert box is not None
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    await page.mouse.move(*xy[0])
    await page.mouse.down()
    for x, y in xy[1:]:
        await page.mouse.move(x, y, steps=8)
    await page.mouse.up()


async def calls(page: Page) -> list[str]:
    found: list[str] = await page.evaluate("() => window.Telegram ? window.Telegram.WebApp.calls : []")
    return found


def luminance(rgb: tuple[int, ...]) -> float:
    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: tuple[int, ...], other: tuple[int, ...]) -> float:
    """WCAG's contrast ratio of two colours."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


async def touch(page: Page, kind: str, x: float, y: float, pointer: int, primary: bool) -> None:
    """A touch pointer event on the canvas, finger `pointer` (the first one is primary)."""
    await page.evaluate(
        """([kind, x, y, pointer, primary]) => document.getElementById('ink').dispatchEvent(new PointerEvent(kind,
           {pointerId: pointer, pointerType: 'touch', isPrimary: primary, button: 0, clientX: x, clientY: y,
            bubbles: true, cancelable: true}))""", [kind, x, y, pointer, primary])  # fmt: skip

"""The optional `Draw mask` Mini App for Vary (Region), served by the built-in web server.

`GET /webapp/region/<picker key>` is a small page with a brush over the picture. It POSTs the
painted strokes (PNG) with Telegram's `initData`, which is checked here exactly as Telegram
documents: HMAC-SHA256 of the sorted fields with a key derived from the bot token, and an
`auth_date` no older than `INIT_DATA_MAX_AGE`. Only the picker's owner is accepted. No Telegram
library code: the signature check is plain HMAC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import logging
import time
from dataclasses import replace
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.domain import Requester
from bot.i18n import language_of
from bot.mask import BadDrawing
from bot.profiles import Profiles
from bot.regions import Answer, RegionService
from bot.web import TooLarge, read_capped, too_large

log = logging.getLogger(__name__)

WEBAPP_PATH = "/webapp/region"
INIT_DATA_MAX_AGE = 3600.0
INIT_DATA_CLOCK_SKEW = 60.0  # auth_date may be this far ahead of our clock
MAX_BODY_BYTES = 2 * 1024 * 1024  # the drawing (base64 PNG of strokes), the prompt, the sign-in data


class InitDataError(ValueError):
    pass


def check_init_data(init_data: str, bot_token: str, *, now: float | None = None) -> Requester:
    """The user who opened the Mini App, if `init_data` is Telegram's and fresh."""
    fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=False))
    given = fields.pop("hash", "")
    if not given:
        raise InitDataError("no hash")
    check_string = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise InitDataError("bad signature")
    try:
        auth_date = float(fields["auth_date"])
        user = json.loads(fields["user"])
        requester = Requester(int(user["id"]), str(user.get("first_name") or "someone"), user.get("username"),
                              language_of(user.get("language_code")))  # fmt: skip
    except (KeyError, ValueError, TypeError) as exc:
        raise InitDataError("incomplete init data") from exc
    age = (now or time.time()) - auth_date
    if age > INIT_DATA_MAX_AGE:
        raise InitDataError("init data too old")
    if age < -INIT_DATA_CLOCK_SKEW:
        raise InitDataError("init data from the future")
    return requester


def webapp_routes(regions: RegionService, profiles: Profiles, bot_token: str) -> list[Route]:
    async def page(request: Request) -> Response:
        found = await regions.page_data(request.path_params["key"])
        if found is None:
            return HTMLResponse("<p>This picker is closed.</p>", status_code=404)
        picker, image = found
        return HTMLResponse(
            _PAGE.replace("{{IMAGE}}", html.escape(image.image_url, quote=True)).replace(
                "{{PROMPT}}", html.escape(picker.prompt or "", quote=True)
            )
        )

    async def submit(request: Request) -> Response:
        if await regions.page_data(request.path_params["key"]) is None:  # before reading a byte
            return JSONResponse({"ok": False, "error": "closed"}, status_code=404)
        try:
            body = json.loads(await read_capped(request, MAX_BODY_BYTES))
            if not isinstance(body, dict):
                raise ValueError("not an object")
            user = check_init_data(str(body.get("init_data", "")), bot_token)
            drawing = base64.b64decode(str(body.get("mask", "")).split(",", 1)[-1], validate=True)
        except InitDataError as exc:
            log.warning("Mini App request refused: %s", exc)
            return JSONResponse({"ok": False, "error": "not signed by Telegram"}, status_code=403)
        except TooLarge:
            return too_large()
        except (ValueError, AttributeError, binascii.Error):
            return JSONResponse({"ok": False, "error": "bad request"}, status_code=400)
        if not drawing:
            return JSONResponse({"ok": False, "error": "bad drawing"}, status_code=400)
        prompt = body.get("prompt") if isinstance(body.get("prompt"), str) else None
        profile = await profiles.get(user.user_id)
        user = replace(user, lang=profile.lang or user.lang)
        try:
            outcome = await regions.submit_drawing(request.path_params["key"], user, drawing, prompt, profile.wishes)
        except BadDrawing as exc:
            log.info("Mini App drawing refused: %s", exc)
            return JSONResponse({"ok": False, "error": "bad drawing"}, status_code=400)
        status = {Answer.SUBMITTED: 200, Answer.EMPTY: 422, Answer.NOT_YOURS: 403, Answer.REFUSED: 429}.get(
            outcome.answer, 404
        )
        return JSONResponse({"ok": status == 200, "result": outcome.answer.value}, status_code=status)

    return [
        Route(WEBAPP_PATH + "/{key}", page, methods=["GET"]),
        Route(WEBAPP_PATH + "/{key}", submit, methods=["POST"]),
    ]


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, user-scalable=no">
<title>Draw mask</title>
<script src="https://telegram.org/js/telegram-web-app.js"></script>
<style>
 body{margin:0;font-family:system-ui,sans-serif;background:var(--tg-theme-bg-color,#fff);
      color:var(--tg-theme-text-color,#000)}
 #wrap{position:relative;width:100%;touch-action:none}
 #wrap img,#wrap canvas{display:block;width:100%;height:auto}
 #wrap canvas{position:absolute;left:0;top:0;opacity:.55}
 .bar{display:flex;gap:8px;padding:8px;align-items:center;flex-wrap:wrap}
 input[type=text]{flex:1;min-width:10em;padding:6px}
 button{padding:8px 12px}
</style></head>
<body>
<div id="wrap"><img id="pic" src="{{IMAGE}}" alt=""><canvas id="ink"></canvas></div>
<div class="bar">Brush <input id="size" type="range" min="10" max="150" value="60">
 <button id="clear" type="button">Clear</button></div>
<div class="bar"><input id="prompt" type="text" placeholder="Prompt for the area (optional)"
 value="{{PROMPT}}"><button id="send" type="button">Repaint</button></div>
<p id="msg" class="bar"></p>
<script>
const tg = window.Telegram && window.Telegram.WebApp; if (tg) tg.ready();
const pic = document.getElementById('pic'), ink = document.getElementById('ink');
const ctx = ink.getContext('2d'); let drawing = false, last = null;
function fit(){ ink.width = pic.naturalWidth; ink.height = pic.naturalHeight; }
pic.onload = fit; if (pic.complete) fit();
function at(e){ const r = ink.getBoundingClientRect(), p = e.touches ? e.touches[0] : e;
  return [(p.clientX - r.left) * ink.width / r.width, (p.clientY - r.top) * ink.height / r.height]; }
function stroke(e){ if (!drawing) return; e.preventDefault(); const [x, y] = at(e);
  const scale = ink.width / ink.getBoundingClientRect().width;
  ctx.strokeStyle = '#fff'; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  ctx.lineWidth = document.getElementById('size').value * scale;
  ctx.beginPath(); ctx.moveTo(...(last || [x, y])); ctx.lineTo(x, y); ctx.stroke(); last = [x, y]; }
for (const [ev, fn] of [['mousedown', e => { drawing = true; last = null; stroke(e); }],
  ['touchstart', e => { drawing = true; last = null; stroke(e); }], ['mousemove', stroke], ['touchmove', stroke],
  ['mouseup', () => drawing = false], ['mouseleave', () => drawing = false], ['touchend', () => drawing = false]])
  ink.addEventListener(ev, fn, {passive: false});
document.getElementById('clear').onclick = () => ctx.clearRect(0, 0, ink.width, ink.height);
document.getElementById('send').onclick = async () => {
  const msg = document.getElementById('msg');
  const res = await fetch(location.pathname, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({init_data: tg ? tg.initData : '', mask: ink.toDataURL('image/png'),
                          prompt: document.getElementById('prompt').value})});
  if (res.ok) { msg.textContent = 'Sent! Repainting…'; if (tg) tg.close(); return; }
  msg.textContent = res.status === 422 ? 'Paint the area to repaint first.' : 'Could not send (' + res.status + ').';
};
</script></body></html>
"""

"""`GET /webapp/region/<picker key>`: the Draw mask page, in the picker owner's language; an
unknown or closed picker gets a styled page saying so. `GET /webapp/region?tgWebAppStartParam=<key>`:
the same page, where Telegram opens the app's direct link (`t.me/<bot>/<app>?startapp=<key>`, how
groups reach it): the start parameter only names the picker, it proves nothing. `POST` the same path: the painting (PNG of
strokes) with Telegram's `initData`; only the picker's owner is accepted. Every refusal is JSON
`{"ok": false, "error": <code>}` with a code the page turns into what to do (and, for the
operator's limits, the reason as `message`)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from dataclasses import replace
from datetime import datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.features.profiles import Profiles
from bot.features.regions import Answer, RegionService
from bot.features.regions.mask import BadDrawing
from bot.i18n import language_of
from bot.render import replies
from bot.runtime.tasks import Closed
from bot.web.miniapp.initdata import InitDataError, check_init_data
from bot.web.miniapp.page import closed_page, region_page
from bot.web.server import BodyBudget, Refused, TooLarge, read_capped

log = logging.getLogger(__name__)

WEBAPP_PATH = "/webapp/region"
MAX_BODY_BYTES = 2 * 1024 * 1024  # the drawing (base64 PNG of strokes), the prompt, the sign-in data
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
_STATUS = {Answer.SUBMITTED: 200, Answer.EMPTY: 422, Answer.NOT_YOURS: 403, Answer.REFUSED: 429}
_START_PARAM = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a picker key (Telegram allows [\w-]{0,512})
_CODES = {Answer.SUBMITTED: "ok", Answer.EMPTY: "empty", Answer.NOT_YOURS: "not_yours", Answer.REFUSED: "refused"}


def _refused(code: str, status: int, message: str | None = None) -> JSONResponse:
    body: dict[str, object] = {"ok": False, "error": code}
    if message:
        body["message"] = message
    headers = {**_HEADERS, "Connection": "close"}  # a refused body may be unread: it is not waited for
    return JSONResponse(body, status_code=status, headers=headers)


def _visitor_language(request: Request) -> str:
    """For pages not tied to a picker: the browser's first language (Telegram's webview sends it)."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return language_of(first)


def _sign_in(request: Request) -> str:
    """The Mini App's signed `initData`, sent as `Authorization: tma <initData>` (Telegram's Mini App
    convention) or `X-Telegram-Init-Data`: checked before a byte of the body is read."""
    given = request.headers.get("authorization", "")
    if given[:4].lower() == "tma ":
        return given[4:].strip()
    return request.headers.get("x-telegram-init-data", "")


def webapp_routes(
    regions: RegionService, profiles: Profiles, bot_token: str, budget: BodyBudget | None = None
) -> list[Route]:
    async def show(request: Request, key: str, action: str) -> Response:
        """The page for picker `key`; it posts the painting to `action`, relative to the page's own
        address, so a PUBLIC_URL with a path behind a proxy keeps working."""
        found = await regions.page_data(key)
        if found is None:
            return HTMLResponse(closed_page(_visitor_language(request)), status_code=404, headers=_HEADERS)
        picker, image = found
        picture = image.raw_image_url or image.image_url  # the sharpest the screen can show
        page = region_page(picker.owner.lang, picture, picker.prompt or "", action)
        return HTMLResponse(page, headers=_HEADERS)

    async def page(request: Request) -> Response:
        key = request.path_params["key"]
        return await show(request, key, key)  # /…/webapp/region/<key> posts to itself

    async def launched(request: Request) -> Response:
        """The app's fixed URL, as Telegram opens a direct link: the picker is the start parameter.
        Who may paint is still decided by the signed initData when the painting arrives."""
        key = request.query_params.get("tgWebAppStartParam", "")
        if not _START_PARAM.fullmatch(key):
            return HTMLResponse(closed_page(_visitor_language(request)), status_code=404, headers=_HEADERS)
        return await show(request, key, f"{WEBAPP_PATH.rsplit('/', 1)[-1]}/{key}")  # /…/webapp/region → region/<key>

    async def submit(request: Request) -> Response:
        found = await regions.page_data(request.path_params["key"])
        if found is None:  # before reading a byte
            return _refused("closed", 404)
        try:  # who is asking, before reading a byte of the painting
            user = check_init_data(_sign_in(request), bot_token)
        except InitDataError as exc:
            log.warning("Mini App request refused: %s", exc)
            return _refused(exc.reason, 403)
        if user.user_id != found[0].owner.user_id:
            return _refused("not_yours", 403)
        try:
            body = json.loads(await read_capped(request, MAX_BODY_BYTES, budget))
            if not isinstance(body, dict):
                raise ValueError("not an object")
            drawing = base64.b64decode(str(body.get("mask", "")).split(",", 1)[-1], validate=True)
        except TooLarge:
            return _refused("too_large", 413)
        except Refused as exc:
            return _refused("busy", exc.status)
        except (ValueError, AttributeError, binascii.Error, RecursionError):
            return _refused("bad_drawing", 400)
        if not drawing:
            return _refused("bad_drawing", 400)
        prompt = body.get("prompt") if isinstance(body.get("prompt"), str) else None
        profile = await profiles.get(user.user_id)
        user = replace(user, lang=profile.lang or user.lang)
        try:
            outcome = await regions.submit_drawing(request.path_params["key"], user, drawing, prompt, profile.wishes)
        except Closed:  # the bot is stopping: the page says to try again in a moment
            return _refused("busy", 503)
        except BadDrawing as exc:
            log.info("Mini App drawing refused: %s", exc)
            return _refused("bad_drawing", 400)
        if outcome.answer is Answer.SUBMITTED:
            return JSONResponse({"ok": True, "result": "submitted"}, headers=_HEADERS)
        message = None
        if outcome.answer is Answer.REFUSED and outcome.refused is not None:
            message = replies.refusal(outcome.refused, datetime.now().astimezone(), user.lang, user.user_id)
        return _refused(_CODES.get(outcome.answer, "closed"), _STATUS.get(outcome.answer, 404), message)

    return [
        Route(WEBAPP_PATH, launched, methods=["GET"]),
        Route(WEBAPP_PATH + "/", launched, methods=["GET"]),
        Route(WEBAPP_PATH + "/{key}", page, methods=["GET"]),
        Route(WEBAPP_PATH + "/{key}", submit, methods=["POST"]),
    ]

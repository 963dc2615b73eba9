"""Webhook mode: Telegram POSTs updates to the built-in web server, signed with a secret header."""

from __future__ import annotations

import json
import logging
import secrets

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.telegram.context import BotApplication
from bot.web.server import BodyBudget, body_or_answer

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


UPDATE_MAX = 1 << 20  # an update is a few KB; Telegram's own cap is far below this


def webhook_route(application: BotApplication, path: str, secret: str, budget: BodyBudget | None = None) -> Route:
    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook request without the right secret from %s", request.client)
            return PlainTextResponse("forbidden", status_code=403)
        if not application.running:  # stopping: Telegram delivers it again (to us later, or elsewhere)
            return PlainTextResponse("stopping", status_code=503)
        body = await body_or_answer(request, UPDATE_MAX, budget, "webhook")
        if isinstance(body, Response):
            return body
        try:
            update = Update.de_json(json.loads(body), application.bot)
        except (Exception, RecursionError):  # malformed JSON (deeply nested too) or not an Update
            return PlainTextResponse("bad request", status_code=400)
        if not application.running:  # the stop began while the body came: deliver it again later
            return PlainTextResponse("stopping", status_code=503)
        await application.update_queue.put(update)
        return PlainTextResponse("ok")

    return Route(path or "/", receive, methods=["POST"])

"""Webhook mode: Telegram POSTs updates to the built-in web server, signed with a secret header."""

from __future__ import annotations

import logging
import secrets

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.telegram.context import BotApplication

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(application: BotApplication, path: str, secret: str) -> Route:
    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook request without the right secret from %s", request.client)
            return PlainTextResponse("forbidden", status_code=403)
        if not application.running:  # stopping: Telegram delivers it again (to us later, or elsewhere)
            return PlainTextResponse("stopping", status_code=503)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except Exception:  # malformed JSON or not an Update: nothing to queue
            return PlainTextResponse("bad request", status_code=400)
        await application.update_queue.put(update)
        return PlainTextResponse("ok")

    return Route(path or "/", receive, methods=["POST"])

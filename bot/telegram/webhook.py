"""Webhook mode: Telegram POSTs updates to the built-in web server, signed with a secret header.
An update is answered 200 only once it is recorded in the database (`intake.py`): a replica killed
the next moment loses nothing, and Telegram redelivers anything that got no 2xx."""

from __future__ import annotations

import json
import logging
import secrets

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.telegram.context import BotApplication
from bot.telegram.intake import Intake
from bot.web.server import BodyBudget, body_or_answer

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


UPDATE_MAX = 1 << 20  # an update is a few KB; Telegram's own cap is far below this


def webhook_route(
    application: BotApplication, intake: Intake, path: str, secret: str, budget: BodyBudget | None = None
) -> Route:
    def stopping() -> bool:
        return intake.closing or not application.running

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook request without the right secret from %s", request.client)
            return PlainTextResponse("forbidden", status_code=403)
        if stopping():  # Telegram delivers it again (to another replica, or to us later)
            return PlainTextResponse("stopping", status_code=503)
        body = await body_or_answer(request, UPDATE_MAX, budget, "webhook")
        if isinstance(body, Response):
            return body
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("no update_id")
            update = Update.de_json(data, application.bot)
            text = body.decode()  # kept as it came (valid UTF-8: json.loads read it)
        except (Exception, RecursionError):  # malformed JSON (deeply nested too) or not an Update
            return PlainTextResponse("bad request", status_code=400)
        if stopping():  # the stop began while the body came: deliver it again later
            return PlainTextResponse("stopping", status_code=503)
        try:
            await intake.receive(update, text)
        except Exception:
            log.exception("could not record update %s; Telegram will deliver it again", update.update_id)
            return PlainTextResponse("try again", status_code=503)
        return PlainTextResponse("ok")

    return Route(path or "/", receive, methods=["POST"])

"""Small helpers shared by handlers: who is asking, and how a refusal is said."""

from __future__ import annotations

from datetime import datetime

from telegram import Message, User

from bot import render
from bot.domain import Refused, Requester
from bot.telegram.context import Wing


def requester(user: User | None) -> Requester:
    if user is None:
        return Requester(0, "someone")
    return Requester(user.id, user.first_name or user.username or "someone", user.username)


def refuse(services: Wing, message: Message, refused: Refused) -> None:
    """One short reply saying why nothing was started (unless the group heard it a moment ago)."""
    if services.refusals.may_reply(message.chat_id, refused):
        user = message.from_user.id if message.from_user is not None else None
        text = render.refusal(refused, datetime.now(services.access.config.tz), user)
        services.notifier.say(message.chat_id, f"⛔ {render.plain(text)}", reply_to=message.message_id)

"""Small helpers shared by handlers: who is asking (in which language), and how a refusal is said."""

from __future__ import annotations

from datetime import datetime

from telegram import Message, User

from bot import replies
from bot.domain import Refused, Requester
from bot.profiles import Profile
from bot.telegram.context import Wing


async def who(services: Wing, user: User | None) -> tuple[Requester, Profile]:
    """The person behind an update, with their language (/settings, else Telegram's) and profile."""
    if user is None:
        return Requester(0, "someone", lang=services.profiles.default_lang), await services.profiles.get(0)
    name = user.first_name or user.username or "someone"
    return await services.profiles.requester(user.id, name, user.username, user.language_code)


def say(services: Wing, message: Message, html_text: str) -> None:
    """A short HTML reply to `message`."""
    services.notifier.say(message.chat_id, html_text, reply_to=message.message_id)


def warn(services: Wing, message: Message, plain_text: str) -> None:
    """A one-line complaint about bad input."""
    say(services, message, f"⚠️ {replies.plain(plain_text)}")


def refuse(services: Wing, message: Message, refused: Refused, lang: str) -> None:
    """One short reply saying why nothing was started (unless the group heard it a moment ago)."""
    if services.refusals.may_reply(message.chat_id, refused):
        user = message.from_user.id if message.from_user is not None else None
        text = replies.refusal(refused, datetime.now(services.access.config.tz), lang, user)
        say(services, message, f"⛔ {replies.plain(text)}")

"""The shape of a message, as every renderer returns it and the Telegram notifier sends it: its
text (HTML) or caption, a picture, a keyboard; and the small helpers every renderer shares."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.core.domain import Requester
from bot.i18n import text as plain_text

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096


@dataclass(frozen=True)
class KeyButton:
    """One inline button: exactly one of `callback_data`, `url` and `web_app` is set."""

    label: str
    callback_data: str | None = None
    url: str | None = None
    web_app: str | None = None  # a Mini App URL (https, private chats only)


Keyboard = tuple[tuple[KeyButton, ...], ...]


@dataclass(frozen=True)
class MessageSpec:
    """What a message should look like. `photo` None means a text message (or keep the photo);
    `delete` asks for the message to go (its result came as a new message); `interactive` is a
    message someone is tapping (a picker, a settings panel): redrawn at the chat's pace, not
    throttled like progress."""

    body: str  # HTML text, or the caption when `photo` is set
    photo: str | bytes | None = None  # a URL, or bytes to upload
    keyboard: Keyboard = ()
    final: bool = False
    delete: bool = False
    interactive: bool = False


DELETE = MessageSpec(body="", final=True, delete=True)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def mention(user: Requester) -> str:
    """@username, or a link to the person by their first name (HTML)."""
    if user.username:
        return f"@{html.escape(user.username)}"
    name = user.first_name or plain_text(user.lang, "who.someone")
    return f'<a href="tg://user?id={user.user_id}">{html.escape(name)}</a>'

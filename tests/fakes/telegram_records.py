"""What the fake Telegram remembers: API calls and messages (plain records, no behaviour).

Tests assert on these directly: ``call.method``/``call.params`` for what the bot sent,
``FakeMessage`` fields for what a user would see, ``FakeMessage.history`` for how it changed.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from .html_entities import parse_html


@dataclass
class Call:
    """One Bot API request as received (``params`` decoded; uploads as {filename, size})."""

    method: str
    params: dict[str, Any]
    chat_id: int | None
    t: float
    status: int = 0


@dataclass
class FakeMessage:
    """A message as stored by the fake.

    ``text``/``caption`` are kept exactly as the bot sent them (HTML tags included, with
    ``parse_mode``); the API view returned to clients carries the parsed text and entities.
    ``photo``/``document`` hold what was sent: a URL, a file_id, or the uploaded bytes.
    """

    chat_id: int
    message_id: int
    from_bot: bool
    chat: dict[str, Any]
    sender: dict[str, Any]
    date: int = field(default_factory=lambda: int(time.time()))
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] | None = None
    photo: str | bytes | None = None
    document: str | bytes | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    photo_sizes: list[dict[str, Any]] | None = None
    document_info: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    edit_date: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_media(self) -> bool:
        return self.photo_sizes is not None or self.document_info is not None or "sticker" in self.extra

    def rendered(self) -> tuple[str | None, list[dict[str, Any]] | None]:
        """(visible text or caption, entities) as Telegram would show them."""
        raw = self.caption if self.has_media else self.text
        if raw is None:
            return None, None
        if (self.parse_mode or "").lower() == "html":
            plain, entities = parse_html(raw)
            return plain, entities or None
        return raw, self.entities

    def state(self) -> tuple[Any, ...]:
        """What 'message is not modified' compares."""
        body, entities = self.rendered()
        return (self.has_media, body, entities, self.photo, self.document, self.reply_markup)

    def snapshot(self, method: str) -> None:
        """Append the current state to ``history`` (after each send/edit)."""
        self.history.append(
            {
                "t": time.monotonic(),
                "method": method,
                "text": self.text,
                "caption": self.caption,
                "parse_mode": self.parse_mode,
                "photo": self.photo,
                "document": self.document,
                "reply_markup": copy.deepcopy(self.reply_markup),
            }
        )

    def buttons(self) -> list[list[dict[str, Any]]]:
        """Inline keyboard rows of the current reply_markup ([] if none)."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or []
        return [list(row) for row in rows]

    def to_api(self, reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """The Bot API ``Message`` object."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": dict(self.chat),
            "from": dict(self.sender),
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        body, entities = self.rendered()
        if self.photo_sizes is not None:
            data["photo"] = [dict(size) for size in self.photo_sizes]
        if self.document_info is not None:
            data["document"] = dict(self.document_info)
        if self.has_media:
            if body:
                data["caption"] = body
                if entities:
                    data["caption_entities"] = entities
        elif body is not None:
            data["text"] = body
            if entities:
                data["entities"] = entities
        if self.reply_markup:
            data["reply_markup"] = copy.deepcopy(self.reply_markup)
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        data.update(copy.deepcopy(self.extra))
        return data

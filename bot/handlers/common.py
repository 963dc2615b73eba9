"""Small helpers shared by handlers: who is asking, and the command's argument text."""

from __future__ import annotations

from telegram import Message, MessageEntity, User

from bot.domain import Requester


def requester(user: User | None) -> Requester:
    if user is None:
        return Requester(0, "someone")
    return Requester(user.id, user.first_name or user.username or "someone", user.username)


def command_argument(message: Message) -> str:
    """Text after the leading /command (or /command@bot), keeping the user's own spacing."""
    text = message.text or message.caption or ""
    entities = message.entities or message.caption_entities or ()
    for entity in entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return text[entity.length :].strip()
    return text.split(maxsplit=1)[1].strip() if " " in text.strip() else ""

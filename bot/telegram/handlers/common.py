"""Small helpers shared by handlers: who is asking."""

from __future__ import annotations

from telegram import User

from bot.domain import Requester


def requester(user: User | None) -> Requester:
    if user is None:
        return Requester(0, "someone")
    return Requester(user.id, user.first_name or user.username or "someone", user.username)

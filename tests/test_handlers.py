"""The global error handler: it logs the traceback for the operator and tells the user in the
chat (or in the tapped button's answer), and never raises itself."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Update

from bot.telegram.handlers.basics import on_error


class _Say:
    def __init__(self) -> None:
        self.said: list[tuple[int, str]] = []

    def say(self, chat_id: int, text: str, reply_to: int | None = None) -> None:
        self.said.append((chat_id, text))


def _context(notifier: _Say | None) -> Any:
    services = SimpleNamespace(notifier=notifier) if notifier is not None else None
    return SimpleNamespace(error=ValueError("boom in a handler"),
                           application=SimpleNamespace(bot_data={"services": services} if services else {}))  # fmt: skip


async def test_a_failed_message_handler_is_logged_and_the_user_told(caplog: pytest.LogCaptureFixture) -> None:
    update = Update.de_json({"update_id": 1, "message": {"message_id": 5, "date": 0, "text": "/imagine x",
                                                         "chat": {"id": 3, "type": "private"}}}, None)  # fmt: skip
    notifier = _Say()
    with caplog.at_level(logging.ERROR):
        await on_error(update, _context(notifier))
    assert notifier.said == [(3, "⚠️ Something went wrong. Please try again.")]
    assert "boom in a handler" in caplog.text, "the traceback is in the log"


async def test_a_failed_tap_is_answered() -> None:
    update = Update.de_json({"update_id": 2, "callback_query": {"id": "q1", "chat_instance": "c", "data": "b:x",
                             "from": {"id": 7, "is_bot": False, "first_name": "Ann"}}}, None)  # fmt: skip
    answers: list[dict[str, Any]] = []

    class Bot:
        async def answer_callback_query(self, callback_query_id: str, **kw: Any) -> bool:
            answers.append({"id": callback_query_id, **kw})
            return True

    assert update.callback_query is not None
    update.callback_query.set_bot(Bot())  # type: ignore[arg-type]
    await on_error(update, _context(_Say()))
    assert answers and answers[0]["text"] == "Something went wrong. Please try again."


async def test_an_error_before_the_services_exist_or_without_an_update_is_only_logged() -> None:
    await on_error(object(), _context(_Say()))
    update = Update.de_json({"update_id": 3, "message": {"message_id": 5, "date": 0, "text": "hi",
                                                         "chat": {"id": 3, "type": "private"}}}, None)  # fmt: skip
    await on_error(update, _context(None))

"""Taps on result buttons: answer at once, then let the job layer start the action."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import requester
from bot.jobs import Pressed
from bot.render import action_label, parse_callback

_EXPIRED = "This button is no longer valid."


async def button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None:
        return
    key = parse_callback(query.data)
    if key is None or chat is None:
        await query.answer(_EXPIRED)
        return
    outcome = await context.services.jobs.press(
        key, chat_id=chat.id, chat_type=chat.type, requester=requester(update.effective_user)
    )
    if outcome.result is Pressed.UNKNOWN or outcome.button is None:
        await query.answer(_EXPIRED)
    elif outcome.result is Pressed.BUSY:
        await query.answer(f"{action_label(outcome.button.action)} is already in progress.")
    else:
        await query.answer(f"{action_label(outcome.button.action)}: on it!")

"""Taps on inline buttons: result actions and Vary (Region) pickers. Always answered at once."""

from __future__ import annotations

import html
from datetime import datetime

from telegram import CallbackQuery, Update

from bot import render
from bot.buttons import Pressed
from bot.regions import Answer
from bot.render import action_label, parse_callback, parse_picker
from bot.telegram.context import BotContext
from bot.telegram.handlers.common import requester

_EXPIRED = "This button is no longer valid."
_PICKER_ANSWERS = {
    Answer.UPDATED: None,
    Answer.SUBMITTED: "Submitted: repainting the chosen area.",
    Answer.CANCELLED: "Cancelled.",
    Answer.EMPTY: "Select at least one square first.",
    Answer.CLOSED: "This picker is closed.",
}


async def button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None:
        return
    if chat is None:
        await query.answer(_EXPIRED)
        return
    if (picked := parse_picker(query.data)) is not None:
        await _picker(query, context, picked, chat.type)
        return
    key = parse_callback(query.data)
    if key is None:
        await query.answer(_EXPIRED)
        return
    user = requester(update.effective_user)
    services = context.services
    outcome = await services.buttons.press(key, chat_id=chat.id, chat_type=chat.type, requester=user)
    if outcome.result is Pressed.UNKNOWN or outcome.button is None:
        await query.answer(_EXPIRED)
    elif outcome.result is Pressed.PICK_REGION:
        await query.answer("Pick the squares to repaint.")
    elif outcome.result is Pressed.REFUSED and outcome.refused is not None:
        tz = services.access.config.tz
        await query.answer(render.refusal(outcome.refused, datetime.now(tz), user.user_id), show_alert=True)
    elif outcome.result is Pressed.BUSY:
        await query.answer(f"{action_label(outcome.button.action)} is already in progress.")
    else:
        await query.answer(f"{action_label(outcome.button.action)}: on it!")


async def _picker(query: CallbackQuery, context: BotContext, picked: tuple[str, str], chat_type: str) -> None:
    key, op = picked
    outcome = await context.services.regions.act(key, op, requester(query.from_user), chat_type)
    if outcome.answer is Answer.REFUSED and outcome.refused is not None:
        tz = context.services.access.config.tz
        await query.answer(render.refusal(outcome.refused, datetime.now(tz)), show_alert=True)
        return
    if outcome.answer is Answer.NOT_YOURS:
        owner = outcome.owner.first_name if outcome.owner else "its owner"
        await query.answer(f"Only {owner} can change this selection.", show_alert=True)
        return
    text = _PICKER_ANSWERS[outcome.answer]
    await query.answer(text, show_alert=outcome.answer is Answer.EMPTY)


async def picker_prompt(update: Update, context: BotContext) -> None:
    """Text replying to a region picker sets the prompt for the area."""
    message = update.effective_message
    if message is None or message.reply_to_message is None or not message.text:
        return
    services = context.services
    outcome = await services.regions.set_prompt(
        message.chat_id, message.reply_to_message.message_id, requester(message.from_user), message.text
    )
    if outcome is not None and outcome.answer is Answer.NOT_YOURS and outcome.owner is not None:
        services.notifier.say(
            message.chat_id,
            f"Only {html.escape(outcome.owner.first_name)} can change this selection.",
            reply_to=message.message_id,
        )

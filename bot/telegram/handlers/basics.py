"""/start and /help, the update de-duplicator, and the global error handler."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import render
from bot.telegram.context import BotContext

log = logging.getLogger(__name__)


async def help_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    context.services.notifier.say(message.chat_id, render.help_text(context.bot.username), message.message_id)


async def only_once(update: Update, context: BotContext) -> None:
    """Telegram redelivers updates a crashed bot never confirmed; handle each one once."""
    if not await context.services.store.first_sighting(update.update_id):
        log.info("skipping update %s: handled before", update.update_id)
        raise ApplicationHandlerStop
    chat = update.effective_chat
    if chat is not None and chat.title:
        await context.services.note_chat(chat.id, chat.title)


async def on_error(update: object, context: BotContext) -> None:
    """Log the traceback for the operator; tell the user something went wrong, never crash."""
    log.error("handler failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer("Something went wrong. Please try again.")
        return
    services = context.application.bot_data.get("services")
    if update.effective_chat is not None and services is not None:
        services.notifier.say(update.effective_chat.id, "⚠️ Something went wrong. Please try again.")

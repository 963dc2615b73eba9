"""/start and /help, the update de-duplicator, and the global error handler."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.i18n import html, language_of, text
from bot.render import replies
from bot.telegram.context import BotContext
from bot.telegram.handlers.common import who
from bot.telegram.handlers.settings import SETTINGS_START, settings_from_link

log = logging.getLogger(__name__)


async def help_command(update: Update, context: BotContext) -> None:
    """/start and /help; `/start settings` (the group's /settings button) opens the settings panel."""
    message = update.effective_message
    if message is None:
        return
    payload = (context.args or [""])[0]
    if message.chat.type == "private" and payload.split("_", 1)[0] == SETTINGS_START:
        await settings_from_link(update, context, payload)
        return
    user, _ = await who(context.services, message.from_user)
    context.services.notifier.say(message.chat_id, replies.help_text(user.lang, context.bot.username), message.message_id)


async def id_command(update: Update, context: BotContext) -> None:
    """/id: the sender's and the chat's ids (what ADMIN_USER_IDS, ALLOWED_* and /allow take); for
    anyone, strangers included: it is how someone asks for access."""
    message = update.effective_message
    if message is None:
        return
    user, _ = await who(context.services, message.from_user)
    said = html(user.lang, "id.yours", user_id=user.user_id, chat_id=message.chat_id)
    stranger = not await context.services.core.access.allowed(user.user_id, message.chat_id)  # capped per group
    context.services.briefs.per_person(message.chat_id, user.user_id, said, message.message_id, kind="id",
                                       stranger=stranger)  # fmt: skip


async def plain_text(update: Update, context: BotContext) -> None:
    """Text without a command in a private chat: how to draw it (groups stay quiet)."""
    message = update.effective_message
    if message is None or message.chat.type != "private":
        return
    user, _ = await who(context.services, message.from_user)
    context.services.notifier.say(message.chat_id, replies.usage(user.lang), message.message_id)


async def unknown_command(update: Update, context: BotContext) -> None:
    """In a private chat, a command we do not have gets a pointer to /help (groups stay quiet:
    the command may be for another bot)."""
    message = update.effective_message
    if message is None or message.chat.type != "private" or not message.text:
        return
    user, _ = await who(context.services, message.from_user)
    name = message.text.split()[0].lstrip("/").split("@")[0]
    context.services.notifier.say(message.chat_id, replies.unknown_command(name, user.lang), message.message_id)


async def only_once(update: Update, context: BotContext) -> None:
    """Before any handler: the chat's title for reports. (A redelivered update never gets here:
    `intake.py` handles each update id once.)"""
    chat = update.effective_chat
    if chat is not None and chat.title:
        await context.services.note_chat(chat.id, chat.title)


async def on_error(update: object, context: BotContext) -> None:
    """Log the traceback for the operator; tell the user something went wrong, never crash."""
    log.error("handler failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    user = update.effective_user
    services = context.application.bot_data.get("services")
    lang = language_of(user.language_code if user else None)
    with contextlib.suppress(Exception):  # the error may be the store's own: then Telegram's language
        if services is not None and user is not None:
            lang = (await who(services, user))[0].lang
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(text(lang, "tap.went_wrong"))
        return
    if update.effective_chat is not None and services is not None:
        services.notifier.say(update.effective_chat.id, html(lang, "error.went_wrong"))

"""/describe (a picture → four prompts), /shorten (a prompt → shorter ones) and /info."""

from __future__ import annotations

from telegram import Update

from bot.core.prompt import clean_text
from bot.i18n import html
from bot.media.hosting import MediaError
from bot.telegram.context import BotContext
from bot.telegram.handlers.common import allowed_command, brief, refuse, say, warn, who
from bot.telegram.handlers.pictures import attached, replied


async def describe(update: Update, context: BotContext) -> None:
    """/describe as a photo's caption, or as a reply to a photo, an image file or a bot result."""
    asked = await allowed_command(update, context)
    if asked is None:
        return
    services, message, user = asked.services, asked.message, asked.user
    try:
        pictures = attached(message) or await replied(message, services.core.store, context.bot.id)
    except MediaError as exc:
        warn(services, message, exc.msg.text(user.lang))
        return
    if not pictures:
        brief(services, message, html(user.lang, "describe.usage"))
        return
    refused = await services.core.suggestions.describe(message.chat_id, user, pictures[0], message.message_id)
    if refused is not None:
        refuse(services, message, refused, user.lang)


async def shorten(update: Update, context: BotContext) -> None:
    asked = await allowed_command(update, context)
    if asked is None:
        return
    services, message, user = asked.services, asked.message, asked.user
    prompt = clean_text(" ".join(context.args or []))[:4000]
    if not prompt:
        brief(services, message, html(user.lang, "shorten.usage"))
        return
    refused = await services.core.suggestions.shorten(message.chat_id, user, prompt, message.message_id)
    if refused is not None:
        refuse(services, message, refused, user.lang)


async def info_command(update: Update, context: BotContext) -> None:
    """/info: the person's running and waiting jobs, today's usage and limits, their settings."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    user, profile = await who(services, message.from_user)
    say(services, message, await services.core.info.of(user, profile, message.chat_id))

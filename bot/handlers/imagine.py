"""/imagine <prompt>: check the prompt and queue the job; the job layer replies and edits."""

from __future__ import annotations

from telegram import Update

from bot import render
from bot.context import BotContext
from bot.handlers.common import command_argument, requester
from bot.prompt import PromptError, parse_prompt


async def imagine(update: Update, context: BotContext) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    services = context.services
    text = command_argument(message)
    if not text:
        services.notifier.say(chat.id, render.usage(), reply_to=message.message_id)
        return
    try:
        prompt = parse_prompt(text)
    except PromptError as exc:
        services.notifier.say(chat.id, f"⚠️ {render.plain(str(exc))}", reply_to=message.message_id)
        return
    await services.jobs.imagine(
        chat_id=chat.id, chat_type=chat.type, requester=requester(update.effective_user),
        reply_to=message.message_id, prompt=prompt,
    )  # fmt: skip

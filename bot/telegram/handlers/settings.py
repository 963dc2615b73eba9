"""A person's defaults: /settings (a panel of buttons, edited in place), /prefer suffix, and
/fast, /relax, /turbo."""

from __future__ import annotations

from telegram import Update

from bot.domain import Refusal, Refused
from bot.i18n import html, text
from bot.panels import settings_panel
from bot.profiles import SUFFIX_LIMIT, check_suffix
from bot.prompt import PromptError, clean_text
from bot.telegram.context import BotContext
from bot.telegram.handlers.common import refuse, say, warn, who


async def settings(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    services = context.services
    user, profile = await who(services, message.from_user)
    if not await services.access.allowed(user.user_id, message.chat_id):
        refuse(services, message, Refused(Refusal.NOT_ALLOWED), user.lang)
        return
    panel = await services.store.panels.create("settings", message.chat_id, user)
    spec = settings_panel(panel.key, user, profile, private=message.chat.type == "private")
    services.suggestions.post(panel, spec, message.message_id)


async def speed(update: Update, context: BotContext) -> None:
    """/fast, /relax, /turbo: the speed of this person's next jobs."""
    message = update.effective_message
    if message is None or not message.text:
        return
    services = context.services
    user, _ = await who(services, message.from_user)
    if not await services.access.allowed(user.user_id, message.chat_id):
        refuse(services, message, Refused(Refusal.NOT_ALLOWED), user.lang)
        return
    mode = message.text.split()[0].lstrip("/").split("@")[0].lower()
    await services.profiles.update(user.user_id, speed=mode)
    say(services, message, html(user.lang, "speed.set", speed=text(user.lang, f"settings.speed_name.{mode}")))


async def prefer(update: Update, context: BotContext) -> None:
    """/prefer suffix <text> — and /prefer suffix alone clears it."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    user, _ = await who(services, message.from_user)
    if not await services.access.allowed(user.user_id, message.chat_id):
        refuse(services, message, Refused(Refusal.NOT_ALLOWED), user.lang)
        return
    args = clean_text(" ".join(context.args or [])).split(" ", 1)
    if not args or args[0].lower() != "suffix":
        say(services, message, html(user.lang, "prefer.usage"))
        return
    raw = args[1].strip() if len(args) > 1 else ""
    if not raw:
        await services.profiles.update(user.user_id, suffix="")
        say(services, message, html(user.lang, "prefer.cleared"))
        return
    if len(raw) > SUFFIX_LIMIT:
        warn(services, message, PromptError("prompt.suffix_too_long", limit=SUFFIX_LIMIT).msg.text(user.lang))
        return
    try:
        suffix = check_suffix(raw)
    except PromptError as exc:
        warn(services, message, exc.msg.text(user.lang))
        return
    await services.profiles.update(user.user_id, suffix=suffix)
    say(services, message, html(user.lang, "prefer.set", suffix=suffix))

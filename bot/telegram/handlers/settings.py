"""A person's defaults: /settings (a panel of buttons, edited in place), /prefer suffix, and
/fast, /relax, /turbo."""

from __future__ import annotations

from telegram import Update

from bot.core.domain import Refusal, Refused
from bot.core.profile import SUFFIX_LIMIT, check_suffix
from bot.core.prompt import PromptError, clean_text
from bot.i18n import html, text
from bot.render.settings import settings_pointer
from bot.render.spec import KeyButton
from bot.telegram.context import BotContext
from bot.telegram.handlers.common import Asked, allowed_command, brief, refuse, warn, who

SETTINGS_START = "settings"  # t.me/<bot>?start=settings_<group id> opens the panel in a private chat


async def settings(update: Update, context: BotContext) -> None:
    """The panel in a private chat; in a group one short line with a button that opens it there
    (seven rows of someone's buttons are clutter for everyone else)."""
    asked = await allowed_command(update, context)
    if asked is None:
        return
    services, message, user = asked.services, asked.message, asked.user
    if message.chat.type != "private" and context.bot.username:
        link = f"https://t.me/{context.bot.username}?start={SETTINGS_START}_{message.chat_id}"
        services.briefs.say(message.chat_id, settings_pointer(user), message.message_id,
                            ((KeyButton(text(user.lang, "settings.open"), url=link),),))  # fmt: skip
        return
    await open_settings(asked)


async def settings_from_link(update: Update, context: BotContext, payload: str) -> None:
    """`/start settings_<group id>`, from a group's /settings button: the panel, for someone allowed
    here or in that group (a group's members need not be listed one by one). A forged group id
    gives no more than one's own settings panel: settings start nothing and spend nothing."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    user, profile = await who(services, message.from_user)
    group = payload.removeprefix(f"{SETTINGS_START}_")
    in_group = group.lstrip("-").isdigit() and int(group) < 0 and await services.core.access.allowed(user.user_id, int(group))
    if not in_group and not await services.core.access.allowed(user.user_id, message.chat_id):
        refuse(services, message, Refused(Refusal.NOT_ALLOWED), user.lang)
        return
    await open_settings(Asked(services, message, user, profile))


async def open_settings(asked: Asked) -> None:
    await asked.services.core.settings_panels.open(asked.message.chat_id, asked.user, asked.profile,
                                                   asked.message.message_id)  # fmt: skip


async def speed(update: Update, context: BotContext) -> None:
    """/fast, /relax, /turbo: the speed of this person's next jobs."""
    asked = await allowed_command(update, context)
    if asked is None:
        return
    services, message, user = asked.services, asked.message, asked.user
    mode = (message.text or "/fast").split()[0].lstrip("/").split("@")[0].lower()
    await services.core.profiles.update(user.user_id, speed=mode)
    brief(services, message, html(user.lang, "speed.set", speed=text(user.lang, f"settings.speed_name.{mode}")))


async def prefer(update: Update, context: BotContext) -> None:
    """/prefer suffix <text> — and /prefer suffix alone clears it."""
    asked = await allowed_command(update, context)
    if asked is None:
        return
    services, message, user = asked.services, asked.message, asked.user
    args = clean_text(" ".join(context.args or [])).split(" ", 1)
    if not args or args[0].lower() != "suffix":
        brief(services, message, html(user.lang, "prefer.usage"))
        return
    raw = args[1].strip() if len(args) > 1 else ""
    if not raw:
        await services.core.profiles.update(user.user_id, suffix="")
        brief(services, message, html(user.lang, "prefer.cleared"))
        return
    if len(raw) > SUFFIX_LIMIT:
        warn(services, message, PromptError("prompt.suffix_too_long", limit=SUFFIX_LIMIT).msg.text(user.lang))
        return
    try:
        suffix = check_suffix(raw)
    except PromptError as exc:
        warn(services, message, exc.msg.text(user.lang))
        return
    await services.core.profiles.update(user.user_id, suffix=suffix)
    brief(services, message, html(user.lang, "prefer.set", suffix=suffix))

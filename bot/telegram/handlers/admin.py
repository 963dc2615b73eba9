"""The operator's commands: /allow, /deny, /limit, /stats. Someone who may use the bot but is no
admin is told that only admins can; a stranger gets a stranger's refusal; nobody else ever gets
anyone's data."""

from __future__ import annotations

from telegram import Message, Update

from bot.core.domain import Refusal, Refused
from bot.render import reports
from bot.telegram.context import BotContext, TelegramServices
from bot.telegram.handlers.common import brief, refuse, say, who


async def _admin(update: Update, context: BotContext) -> tuple[TelegramServices, Message, str] | None:
    """The services, the command's message and the admin's language, or None (refused)."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return None
    services = context.services
    person, _ = await who(services, user)
    if user is None or not services.core.access.is_admin(user.id):
        allowed = user is not None and await services.core.access.allowed(user.id, message.chat_id)
        refuse(services, message, Refused(Refusal.ADMINS_ONLY if allowed else Refusal.NOT_ALLOWED), person.lang)
        return None
    return services, message, person.lang


def _target(message: Message, args: list[str]) -> int | None:
    """The id named in the command, or the author of the message it replies to."""
    if args:
        try:
            return int(args[0])
        except ValueError:
            return None
    replied = message.reply_to_message
    return replied.from_user.id if replied is not None and replied.from_user is not None else None


async def allow(update: Update, context: BotContext) -> None:
    await _change(update, context, allowed=True)


async def deny(update: Update, context: BotContext) -> None:
    await _change(update, context, allowed=False)


async def _change(update: Update, context: BotContext, *, allowed: bool) -> None:
    found = await _admin(update, context)
    if found is None:
        return
    services, message, lang = found
    args = context.args or []
    target = _target(message, args)
    if target is None:
        if allowed and not args:
            if _private_only(services, message, lang):
                return
            access = services.core.access
            say(services, message, reports.entries(await access.entries(), access.config, access.config.tz, lang))
        else:
            brief(services, message, reports.usage(lang))
        return
    if not allowed and services.core.access.is_admin(target):
        brief(services, message, reports.admin_always(lang))
        return
    assert message.from_user is not None
    await (services.core.access.allow if allowed else services.core.access.deny)(target, message.from_user.id)
    brief(services, message, reports.changed(target, allowed, lang))


async def limit(update: Update, context: BotContext) -> None:
    found = await _admin(update, context)
    if found is None:
        return
    services, message, lang = found
    args = context.args or []
    try:
        user_id = int(args[0])
        daily = None if args[1].lower() == "default" else int(args[1])
        if daily is not None and daily < 0:
            raise ValueError
    except (IndexError, ValueError):
        brief(services, message, reports.usage(lang))
        return
    await services.core.access.set_limit(user_id, daily)
    brief(services, message, reports.limit_set(user_id, daily, services.core.access.config.daily_per_user, lang))


async def stats(update: Update, context: BotContext) -> None:
    found = await _admin(update, context)
    if found is None:
        return
    services, message, lang = found
    if _private_only(services, message, lang):
        return
    say(services, message, reports.stats(await services.core.access.stats(), services.core.access.config.tz, lang))


def _private_only(services: TelegramServices, message: Message, lang: str) -> bool:
    """Reports name people and their usage: they are given in the admin's private chat only."""
    if message.chat.type == "private":
        return False
    brief(services, message, reports.private_only(lang))
    return True

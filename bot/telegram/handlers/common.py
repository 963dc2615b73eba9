"""Small helpers shared by handlers: who is asking (in which language), and how replies are said:
`say` for what stays (help, /info, reports), `brief` for what matters a moment (confirmations,
warnings; deleted after a minute in groups), `refuse` for refusals (brief too, and a repeat to the
same person edits their earlier one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telegram import Message, Update, User

from bot.core.domain import Refusal, Refused, Requester
from bot.core.profile import Profile
from bot.core.prompt import clean_text
from bot.render import replies
from bot.runtime import metrics
from bot.telegram.context import BotContext, TelegramServices


@dataclass(frozen=True)
class Asked:
    """A command from someone allowed here: the services, the message, who, their profile."""

    services: TelegramServices
    message: Message
    user: Requester
    profile: Profile


async def allowed_command(update: Update, context: BotContext) -> Asked | None:
    """The command's message and its sender if they may use the bot in this chat; otherwise the
    one-line refusal has been said and this is None."""
    message = update.effective_message
    if message is None:
        return None
    services = context.services
    user, profile = await who(services, message.from_user)
    if not await services.core.access.allowed(user.user_id, message.chat_id):
        refuse(services, message, Refused(Refusal.NOT_ALLOWED), user.lang)
        return None
    return Asked(services, message, user, profile)


async def who(services: TelegramServices, user: User | None) -> tuple[Requester, Profile]:
    """The person behind an update, with their language (/settings, else Telegram's) and profile."""
    if user is None:
        return Requester(0, "", lang=services.core.profiles.default_lang), await services.core.profiles.get(0)
    # Shown in captions and replies: no bidi overrides or invisible marks ("someone" when empty).
    name = clean_text(user.first_name or user.username or "")
    return await services.core.profiles.requester(user.id, name, user.username, user.language_code)


def say(services: TelegramServices, message: Message, html_text: str) -> None:
    """An HTML reply to `message` that stays."""
    services.notifier.say(message.chat_id, html_text, reply_to=message.message_id)


def brief(services: TelegramServices, message: Message, html_text: str) -> None:
    """An HTML reply that matters a moment: in a group it deletes itself after a minute."""
    services.briefs.say(message.chat_id, html_text, reply_to=message.message_id)


def warn(services: TelegramServices, message: Message, plain_text: str) -> None:
    """A one-line complaint about bad input."""
    brief(services, message, f"⚠️ {replies.plain(plain_text)}")


def refuse(services: TelegramServices, message: Message, refused: Refused, lang: str) -> None:
    """One short line saying why nothing was started. In a group it goes after a minute, and a
    second refusal to the same person within it edits the first."""
    metrics.refused(refused.why.value)
    user = message.from_user.id if message.from_user is not None else None
    text = replies.refusal(refused, datetime.now(services.core.access.config.tz), lang, user)
    stranger = refused.why is Refusal.NOT_ALLOWED
    services.briefs.per_person(message.chat_id, user, f"⛔ {replies.plain(text)}", message.message_id, stranger=stranger)

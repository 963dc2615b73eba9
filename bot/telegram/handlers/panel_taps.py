"""Taps on panels: a /settings button changes its owner's settings (and redraws the panel); a
suggested prompt's button (/describe, /shorten) starts that job for whoever tapped."""

from __future__ import annotations

from datetime import datetime

from telegram import CallbackQuery

from bot.core.callbacks import SettingTap, SuggestionTap
from bot.core.domain import Refused, Requester
from bot.core.profile import Profile
from bot.core.prompt import PromptError
from bot.features.settings import Tapped
from bot.i18n import text
from bot.render import replies
from bot.telegram.context import TelegramServices


async def setting_tap(query: CallbackQuery, services: TelegramServices, tap: SettingTap, chat_id: int, user: Requester) -> None:
    outcome = await services.core.settings_panels.tap(tap, chat_id, user)
    if outcome.tapped is Tapped.NOT_YOURS and outcome.owner is not None:
        await query.answer(text(user.lang, "tap.settings_not_yours", owner=outcome.owner.first_name), show_alert=True)
    elif outcome.tapped is Tapped.SAVED:
        await query.answer(text(outcome.lang, "tap.saved"))
    else:
        await query.answer(text(user.lang, "tap.expired"))


async def suggestion_tap(
    query: CallbackQuery, services: TelegramServices, tap: SuggestionTap, chat_id: int, chat_type: str, user: Requester,
    profile: Profile,
) -> None:  # fmt: skip
    started = await services.core.suggestions.pick(tap, chat_id=chat_id, chat_type=chat_type, requester=user, profile=profile)
    if started is None:
        await query.answer(text(user.lang, "tap.expired"))
    elif isinstance(started, PromptError):
        await query.answer(started.msg.text(user.lang), show_alert=True)
    elif isinstance(started, Refused):
        now = datetime.now(services.core.access.config.tz)
        await query.answer(replies.refusal(started, now, user.lang, user.user_id), show_alert=True)
    else:
        await query.answer(text(user.lang, "tap.suggestion", n=tap.number))

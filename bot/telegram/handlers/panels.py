"""Taps on panels: a /settings button changes its owner's settings and redraws the panel; a
suggested prompt's button (/describe, /shorten) starts that job for whoever tapped."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from telegram import CallbackQuery

from bot.core.domain import Refused, Requester
from bot.core.prompt import PromptError
from bot.features.profiles import Profile, change
from bot.i18n import text
from bot.render import replies
from bot.render.panels import settings_panel
from bot.telegram.context import Wing


async def panel_tap(
    query: CallbackQuery,
    services: Wing,
    data: tuple[str, str, str],
    chat_id: int,
    chat_type: str,
    user: Requester,
    profile: Profile,
) -> None:
    key, field, value = data
    if field == "go":
        await _suggestion(query, services, key, value, chat_id, chat_type, user, profile)
        return
    panel = await services.store.panels.get(key)
    if panel is None or panel.chat_id != chat_id or panel.kind != "settings" or panel.message_id is None:
        await query.answer(text(user.lang, "tap.expired"))
        return
    if panel.owner.user_id != user.user_id:  # only its owner changes it
        await query.answer(text(user.lang, "tap.settings_not_yours", owner=panel.owner.first_name), show_alert=True)
        return
    profile = await services.profiles.get(user.user_id)  # as it is now (two quick taps flip twice)
    changes = change(profile, field, value)
    if changes is None:
        await query.answer(text(user.lang, "tap.expired"))
        return
    profile = await services.profiles.update(user.user_id, **changes)
    user = replace(user, lang=profile.lang or user.lang)
    services.notifier.show(chat_id, panel.message_id, settings_panel(key, user, profile, private=chat_id > 0))
    await query.answer(text(user.lang, "tap.saved"))


async def _suggestion(
    query: CallbackQuery,
    services: Wing,
    key: str,
    number: str,
    chat_id: int,
    chat_type: str,
    user: Requester,
    profile: Profile,
) -> None:
    started = await services.suggestions.pick(
        key, number, chat_id=chat_id, chat_type=chat_type, requester=user, profile=profile
    )
    if started is None:
        await query.answer(text(user.lang, "tap.expired"))
    elif isinstance(started, PromptError):
        await query.answer(started.msg.text(user.lang), show_alert=True)
    elif isinstance(started, Refused):
        now = datetime.now(services.access.config.tz)
        await query.answer(replies.refusal(started, now, user.lang, user.user_id), show_alert=True)
    else:
        await query.answer(text(user.lang, "tap.suggestion", n=number))

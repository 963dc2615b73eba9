"""Taps on inline buttons: result actions, ✖ Cancel, Vary (Region) pickers, /settings panels and
suggested prompts. Every tap is answered at once; unknown or forged data is "no longer valid"."""

from __future__ import annotations

from datetime import datetime

from telegram import CallbackQuery, Update

from bot.core.callbacks import (
    PickerTap,
    SettingTap,
    SuggestionTap,
    parse_cancel,
    parse_panel,
    parse_picker,
    parse_result,
)
from bot.core.domain import Refused, Requester, Wishes
from bot.features.buttons import Pressed
from bot.features.regions import Answer
from bot.i18n import text
from bot.jobs import Cancelled
from bot.render import replies
from bot.render.job import action_label
from bot.render.picker import selection
from bot.runtime import metrics
from bot.telegram.context import BotContext, TelegramServices
from bot.telegram.handlers.common import who
from bot.telegram.handlers.panel_taps import setting_tap, suggestion_tap

_PICKER_ANSWERS = {
    Answer.UPDATED: None,
    Answer.SUBMITTED: "picker.answer_submitted",
    Answer.CANCELLED: "picker.answer_cancelled",
    Answer.EMPTY: "picker.answer_empty",
    Answer.CLOSED: "picker.answer_closed",
}


async def button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None:
        return
    services = context.services
    user, profile = await who(services, query.from_user)
    if chat is None:
        await query.answer(text(user.lang, "tap.expired"))
    elif (picked := parse_picker(query.data)) is not None:
        await _picker(query, services, picked, chat.type, user, profile.wishes)
    elif (job_id := parse_cancel(query.data)) is not None:
        await _cancel(query, services, job_id, chat.id, user)
    elif isinstance(panel := parse_panel(query.data), SettingTap):
        await setting_tap(query, services, panel, chat.id, user)
    elif isinstance(panel, SuggestionTap):
        await suggestion_tap(query, services, panel, chat.id, chat.type, user, profile)
    elif (key := parse_result(query.data)) is not None:
        await _result(query, services, key, chat.id, chat.type, user, profile.wishes)
    else:
        await query.answer(text(user.lang, "tap.expired"))


async def refused(query: CallbackQuery, services: TelegramServices, refusal: Refused, user: Requester) -> None:
    metrics.refused(refusal.why.value)
    now = datetime.now(services.core.access.config.tz)
    await query.answer(replies.refusal(refusal, now, user.lang, user.user_id), show_alert=True)


async def _result(query: CallbackQuery, services: TelegramServices, key: str, chat_id: int, chat_type: str, user: Requester,
                  wishes: Wishes) -> None:  # fmt: skip
    outcome = await services.core.buttons.press(key, chat_id=chat_id, chat_type=chat_type, requester=user, wishes=wishes)
    lang = user.lang
    if outcome.result is Pressed.UNKNOWN or outcome.button is None:
        await query.answer(text(lang, "tap.expired"))
    elif outcome.result is Pressed.PICK_REGION:
        await query.answer(text(lang, "tap.pick_region"))
    elif outcome.result is Pressed.PICKER_BACK:
        await query.answer(text(lang, "tap.picker_back"))
    elif outcome.result is Pressed.REFUSED and outcome.refused is not None:
        await refused(query, services, outcome.refused, user)
    elif outcome.result is Pressed.BUSY:
        await query.answer(text(lang, "tap.busy", label=action_label(outcome.button.action, lang)))
    else:
        await query.answer(text(lang, "tap.started", label=action_label(outcome.button.action, lang)))


async def _cancel(query: CallbackQuery, services: TelegramServices, job_id: int, chat_id: int, user: Requester) -> None:
    outcome = await services.core.jobs.cancel(job_id, chat_id, user)
    if outcome in (Cancelled.DONE, Cancelled.ALREADY):
        await query.answer(text(user.lang, "tap.cancelled"))
    elif outcome is Cancelled.NOT_YOURS:
        owner = await services.core.jobs.owner_of(job_id)
        name = owner.first_name if owner else text(user.lang, "picker.its_owner")
        await query.answer(text(user.lang, "tap.cancel_not_yours", owner=name), show_alert=True)
    elif outcome is Cancelled.TOO_LATE:
        await query.answer(text(user.lang, "tap.cancel_too_late"))  # the next edit takes the button away
    else:
        await query.answer(text(user.lang, "tap.expired"))


async def _picker(
    query: CallbackQuery, services: TelegramServices, tap: PickerTap, chat_type: str, user: Requester, wishes: Wishes
) -> None:
    outcome = await services.core.regions.act(tap, user, chat_type, wishes)
    if outcome.answer is Answer.REFUSED and outcome.refused is not None:
        await refused(query, services, outcome.refused, user)
        return
    if outcome.answer is Answer.NOT_YOURS:
        owner = outcome.owner.first_name if outcome.owner else text(user.lang, "picker.its_owner")
        await query.answer(text(user.lang, "picker.not_yours", owner=owner), show_alert=True)
        return
    if outcome.answer is Answer.UPDATED:  # at once, with the selection: the picture follows at the chat's pace
        await query.answer(selection(outcome.cells, user.lang))
        return
    answer = _PICKER_ANSWERS[outcome.answer]
    await query.answer(text(user.lang, answer) if answer else None, show_alert=outcome.answer is Answer.EMPTY)


async def picker_prompt(update: Update, context: BotContext) -> None:
    """Text replying to a region picker sets the prompt for the area."""
    message = update.effective_message
    if message is None or message.reply_to_message is None or not message.text:
        return
    services = context.services
    user, _ = await who(services, message.from_user)
    outcome = await services.core.regions.set_prompt(
        message.chat_id, message.reply_to_message.message_id, user, message.text
    )
    if outcome is not None and outcome.answer is Answer.NOT_YOURS and outcome.owner is not None:
        note = text(user.lang, "picker.not_yours", owner=outcome.owner.first_name)
        services.briefs.say(message.chat_id, f"⚠️ {replies.plain(note)}", reply_to=message.message_id)

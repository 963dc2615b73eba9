"""The job layer's `Notifier` on the Bot API: what each state of a job's message takes in calls.

Scheduling (coalescing, priorities, pacing, retry_after) is `sender.py`'s; this module turns one
operation into the fewest Bot API calls: identical edits are skipped, a caption or keyboard alone
is edited when only it changed, a preview Telegram cannot fetch is dropped, a result Telegram
cannot fetch by URL is downloaded and uploaded (as a document when too large for a photo), and a
result whose message was deleted is sent anew. Telegram's 429 becomes the sender's `RetryLater`.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.core.domain import Button, Image, JobState, JobView
from bot.render.job import keyboard, message_for
from bot.render.spec import DELETE, Keyboard, MessageSpec
from bot.telegram.sender import Edit, Limits, Operation, RetryLater, Send, Sender
from bot.telegram.shared_pacing import SharedPace
from bot.telegram.uploads import URL_REFUSED as _URL_REFUSED
from bot.telegram.uploads import Uploads, says

log = logging.getLogger(__name__)
T = TypeVar("T")

_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid", "message not found")
_APPLIED_MEMORY = 500
_CHATS_REMEMBERED = 2000


def _light(spec: MessageSpec) -> MessageSpec:
    """The spec as remembered: an uploaded picture (a picker's overlay, ~100 KB) by its digest."""
    if isinstance(spec.photo, bytes):
        return replace(spec, photo="sha256:" + hashlib.sha256(spec.photo).hexdigest())
    return spec


class _Shown:
    """What each message of a chat shows now, as far as we know (to skip identical edits).
    Pictures sent as bytes are kept as digests, so a chat's memory stays small."""

    def __init__(self) -> None:
        self._specs: OrderedDict[int, MessageSpec] = OrderedDict()

    def get(self, message_id: int) -> MessageSpec | None:
        return self._specs.get(message_id)

    def remember(self, message_id: int, spec: MessageSpec) -> None:
        self._specs[message_id] = _light(spec)
        self._specs.move_to_end(message_id)
        while len(self._specs) > _APPLIED_MEMORY:
            self._specs.popitem(last=False)


def _markup(rows: Keyboard) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.label,
                    callback_data=b.callback_data,
                    url=b.url,
                    web_app=WebAppInfo(b.web_app) if b.web_app else None,
                )
                for b in row
            ]
            for row in rows
        ]
    )


def _seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)




class TelegramNotifier:
    """Implements `bot.jobs.Notifier` (and the pickers' display) with the Bot API, on `Sender`."""

    def __init__(
        self, bot: Bot, http: httpx.AsyncClient, limits: Limits, shared: SharedPace | None = None
    ) -> None:
        self._bot = bot
        self._sender = Sender(limits, self._perform, shared=shared)
        self._uploads = Uploads(bot, http)
        self._shown: OrderedDict[int, _Shown] = OrderedDict()  # the most recently used chats
        self._first: dict[int, tuple[Send, asyncio.Future[int]]] = {}  # job id → its first message, queued

    # the Notifier protocol

    async def create(self, view: JobView) -> int:
        """Send the job's first message (a reply to the request) and return its id."""
        job = view.job
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        send = self._sender.send(job.chat_id, message_for(view), job.reply_to, future)
        self._first[job.id] = (send, future)
        try:
            message_id = await future
        finally:
            self._first.pop(job.id, None)
        if not send.spec.final:  # not the result itself (see `finish`)
            self._sender.awaiting_result(job.chat_id, message_id, True)
        return message_id

    def update(self, view: JobView) -> bool:
        """Show a job's newest state soon; older pending states of that message are dropped. A
        first message still waiting for the chat's pacing goes out showing it (a job submitted
        meanwhile never goes out with ✖ Cancel); False when that message is already on its way."""
        job = view.job
        if job.message_id is not None:
            self.show(job.chat_id, job.message_id, message_for(view), job.reply_to)
            return True
        first = self._first.get(job.id)
        spec = message_for(view)
        if not spec.final:  # a preview Telegram might not fetch must not cost the job its message
            spec = replace(spec, photo=None)
        return first is not None and self._sender.upgrade(job.chat_id, first[0], spec)

    async def post(self, chat_id: int, spec: MessageSpec, reply_to: int | None = None) -> int:
        """Send a new message and return its id once Telegram has it."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._sender.send(chat_id, spec, reply_to, future)
        return await future

    def show(self, chat_id: int, message_id: int, spec: MessageSpec, reply_to: int | None = None) -> None:
        """Bring an existing message to `spec` soon (coalesced with any pending state)."""
        self._sender.edit(chat_id, message_id, spec, None, reply_to)

    async def finish(self, view: JobView) -> int:
        """Show the job's final state; returns once Telegram has it (the id may change if the
        original message was deleted and the result had to be sent anew). A result whose first
        message is still waiting to go out becomes that message: one call instead of two."""
        job = view.job
        spec = message_for(view)
        message_id = job.message_id
        if message_id is None:
            first = self._first.get(job.id)
            if first is None:  # its first message never went out: the result is a new one
                return await self.post(job.chat_id, spec, job.reply_to)
            send, sent = first
            if self._sender.upgrade(job.chat_id, send, spec):
                return await asyncio.shield(sent)
            message_id = await asyncio.shield(sent)  # already on its way: then edit it
        self._sender.awaiting_result(job.chat_id, message_id, False)
        if job.notify and job.state is not JobState.CANCELLED:  # an edit notifies nobody: a new reply does
            try:
                new_id = await self.post(job.chat_id, spec, job.reply_to)
            except Exception:
                log.exception("could not send the result of job %s anew; editing it in place", job.id)
            else:
                self._sender.edit(job.chat_id, message_id, DELETE)
                return new_id
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._sender.edit(job.chat_id, message_id, spec, None, job.reply_to, future)
        return await future

    def show_buttons(self, image: Image, buttons: tuple[Button, ...]) -> None:
        """Redraw a result's keyboard (e.g. to mark a tapped button)."""
        if image.chat_id is None or image.message_id is None:
            return
        self._sender.edit(image.chat_id, image.message_id, None, keyboard(image, buttons, image.lang))

    def say(self, chat_id: int, text: str, reply_to: int | None = None, keyboard: Keyboard = ()) -> None:
        """A short HTML reply, paced like everything else; fire and forget."""
        self._sender.send(chat_id, MessageSpec(text, keyboard=keyboard), reply_to, None)

    async def aclose(self, timeout: float = 5.0) -> None:
        """Give pending final states a moment to go out, then stop the workers."""
        await self._sender.aclose(timeout)

    def _known(self, chat_id: int) -> _Shown:
        shown = self._shown.get(chat_id)
        if shown is None:
            shown = self._shown[chat_id] = _Shown()
            while len(self._shown) > _CHATS_REMEMBERED:  # a chat long quiet: at worst one redundant edit
                self._shown.popitem(last=False)
        self._shown.move_to_end(chat_id)
        return shown

    async def _perform(self, chat_id: int, op: Operation) -> int:
        """One operation through the Bot API; Telegram's 429 becomes the sender's `RetryLater`."""
        try:
            if isinstance(op, Send):
                return await self._send_new(chat_id, op.spec, op.reply_to)
            if op.spec is None:
                await self._apply_markup(chat_id, op)
                return op.message_id
            return await self._apply(chat_id, op, op.spec)
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc.retry_after)) from exc

    # calls

    async def _with_retries(self, call: Callable[[], Awaitable[T]], *, final: bool) -> T:
        """Network hiccups: retry final states a few times; progress is simply superseded later."""
        attempts = 4 if final else 1
        for attempt in range(attempts):
            try:
                return await call()
            except (RetryAfter, BadRequest, Forbidden):
                raise
            except NetworkError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(2**attempt)
        raise AssertionError("unreachable")

    async def _apply_markup(self, chat_id: int, op: Edit) -> None:
        rows = op.markup or ()
        known = self._known(chat_id).get(op.message_id)
        if known is not None and known.keyboard == rows:
            return
        try:
            await self._with_retries(
                lambda: self._bot.edit_message_reply_markup(chat_id, op.message_id, reply_markup=_markup(rows)),
                final=True,
            )
        except BadRequest as exc:
            if not says(exc, ("not modified",)):
                log.info("could not redraw buttons of %s/%s: %s", chat_id, op.message_id, exc.message)
                return
        if known is not None:
            self._known(chat_id).remember(op.message_id, replace(known, keyboard=rows))

    async def _apply(self, chat_id: int, op: Edit, spec: MessageSpec) -> int:
        """Bring one message to `spec` with the fewest calls; returns where it is shown."""
        if spec.delete:
            try:
                await self._with_retries(lambda: self._bot.delete_message(chat_id, op.message_id), final=True)
            except BadRequest as exc:  # gone already, or too old to delete (48 h)
                log.info("could not delete %s/%s: %s", chat_id, op.message_id, exc.message)
            return op.message_id
        known = self._known(chat_id).get(op.message_id)
        if known == _light(spec):
            return op.message_id
        try:
            await self._with_retries(
                lambda: self._edit_call(chat_id, op.message_id, spec, known), final=spec.final
            )
        except BadRequest as exc:
            if says(exc, ("not modified",)):
                pass
            elif says(exc, _GONE):
                if not spec.final:
                    return op.message_id
                return await self._send_new(chat_id, spec, op.reply_to)  # deleted by someone: anew
            elif spec.photo and says(exc, _URL_REFUSED):
                if not spec.final:  # a preview Telegram cannot fetch: show the text alone
                    return await self._apply(chat_id, op, replace(spec, photo=None))
                await self._uploads.replace_media(chat_id, op.message_id, spec, _markup(spec.keyboard))
            else:
                raise
        self._known(chat_id).remember(op.message_id, spec)
        return op.message_id

    async def _edit_call(
        self, chat_id: int, message_id: int, spec: MessageSpec, known: MessageSpec | None
    ) -> None:
        markup = _markup(spec.keyboard)
        if spec.photo is not None:
            if known is not None and known.photo == _light(spec).photo:
                if known.body != spec.body:
                    await self._bot.edit_message_caption(
                        chat_id, message_id, caption=spec.body, parse_mode=ParseMode.HTML, reply_markup=markup
                    )
                else:
                    await self._bot.edit_message_reply_markup(chat_id, message_id, reply_markup=markup)
                return
            name = "picture.jpg" if isinstance(spec.photo, bytes) else None
            media = InputMediaPhoto(spec.photo, caption=spec.body, parse_mode=ParseMode.HTML, filename=name)
            await self._bot.edit_message_media(media, chat_id, message_id, reply_markup=markup)
            return
        if known is not None and known.photo is not None:
            await self._bot.edit_message_caption(
                chat_id, message_id, caption=spec.body, parse_mode=ParseMode.HTML, reply_markup=markup
            )
            return
        try:
            await self._bot.edit_message_text(
                spec.body, chat_id, message_id, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except BadRequest as exc:
            if not says(exc, ("no text in the message",)):
                raise
            await self._bot.edit_message_caption(
                chat_id, message_id, caption=spec.body, parse_mode=ParseMode.HTML, reply_markup=markup
            )

    async def _send_new(self, chat_id: int, spec: MessageSpec, reply_to: int | None) -> int:
        markup = _markup(spec.keyboard)
        reply = _reply(reply_to)
        message: Message
        if spec.photo is None:
            message = await self._with_retries(
                lambda: self._bot.send_message(
                    chat_id, spec.body, parse_mode=ParseMode.HTML, reply_markup=markup, reply_parameters=reply
                ),
                final=True,
            )
        else:
            photo = spec.photo
            try:
                message = await self._with_retries(
                    lambda: self._bot.send_photo(
                        chat_id, photo, caption=spec.body, parse_mode=ParseMode.HTML, reply_markup=markup,
                        reply_parameters=reply,
                    ),
                    final=True,
                )  # fmt: skip
            except BadRequest as exc:
                if not (isinstance(photo, str) and says(exc, _URL_REFUSED)):
                    raise
                message = await self._uploads.send(chat_id, photo, spec, markup, reply)
        self._known(chat_id).remember(message.message_id, spec)
        return message.message_id


def _reply(message_id: int | None) -> ReplyParameters | None:
    return ReplyParameters(message_id, allow_sending_without_reply=True) if message_id else None

"""The Telegram side of the job layer's `Notifier`: one coalescing sender per chat.

Jobs publish the state they want a message to show; each chat has one worker that applies the
newest state of each message, never an outdated one. It paces calls (per chat, per group minute,
bot-wide), honours every `retry_after`, skips identical edits, serves final results before
progress and throttles progress edits per message. When Telegram cannot fetch a result by URL,
the bytes are downloaded and uploaded instead (as a document when too large for a photo).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    ReplyParameters,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.domain import Button, Image, JobView
from bot.media import download
from bot.render import Keyboard, MessageSpec, keyboard, message_for
from bot.telegram.pacing import ChatPacer, GlobalBucket

log = logging.getLogger(__name__)
T = TypeVar("T")

PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024
DOCUMENT_UPLOAD_LIMIT = 50 * 1024 * 1024
_URL_REFUSED = (
    "failed to get http url content", "wrong file identifier", "wrong type of the web page content",
    "photo_invalid_dimensions", "image_process_failed", "too big", "webpage_media_empty", "wrong remote file",
    "photo_save_file_invalid", "entity too large",
)  # fmt: skip
_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid", "message not found")
_APPLIED_MEMORY = 500


@dataclass(frozen=True)
class Limits:
    chat_interval: float = 1.0
    group_per_minute: int = 20
    global_per_second: int = 30
    progress_interval: float = 4.0
    chat_burst: int = 2  # a result may follow another call into the chat at once (see ChatPacer)


@dataclass
class _Edit:
    message_id: int
    spec: MessageSpec | None
    markup: Keyboard | None  # keyboard-only change when `spec` is None
    due: float
    reply_to: int | None = None
    waiters: list[asyncio.Future[int]] = field(default_factory=list)

    @property
    def urgent(self) -> bool:
        return self.spec is None or self.spec.final


@dataclass
class _Send:
    spec: MessageSpec
    reply_to: int | None
    future: asyncio.Future[int] | None


class _Chat:
    def __init__(self, chat_id: int, pacer: ChatPacer) -> None:
        self.id = chat_id
        self.pacer = pacer
        self.edits: dict[int, _Edit] = {}
        self.sends: deque[_Send] = deque()
        self.applied: OrderedDict[int, MessageSpec] = OrderedDict()
        self.last_edit: dict[int, float] = {}
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.open: set[int] = set()  # messages of jobs whose result is still to come

    def remember(self, message_id: int, spec: MessageSpec) -> None:
        self.applied[message_id] = spec
        self.applied.move_to_end(message_id)
        self.last_edit[message_id] = time.monotonic()
        while len(self.applied) > _APPLIED_MEMORY:
            old, _ = self.applied.popitem(last=False)
            self.last_edit.pop(old, None)


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


def _says(error: TelegramError, fragments: tuple[str, ...]) -> bool:
    text = error.message.lower()
    return any(f in text for f in fragments)


class TelegramNotifier:
    """Implements `bot.jobs.Notifier` on top of a PTB `Bot`."""

    def __init__(self, bot: Bot, http: httpx.AsyncClient, limits: Limits) -> None:
        self._bot = bot
        self._http = http
        self._limits = limits
        self._global = GlobalBucket(limits.global_per_second)
        self._chats: dict[int, _Chat] = {}

    # the Notifier protocol

    async def create(self, view: JobView) -> int:
        """Send the job's first message (a reply to the request) and return its id."""
        message_id = await self.post(view.job.chat_id, message_for(view), view.job.reply_to)
        self._chat(view.job.chat_id).open.add(message_id)
        return message_id

    def update(self, view: JobView) -> None:
        """Show a job's newest state soon; older pending states of that message are dropped."""
        job = view.job
        if job.message_id is not None:
            self.show(job.chat_id, job.message_id, message_for(view), job.reply_to)

    async def post(self, chat_id: int, spec: MessageSpec, reply_to: int | None = None) -> int:
        """Send a new message and return its id once Telegram has it."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        chat = self._chat(chat_id)
        chat.sends.append(_Send(spec, reply_to, future))
        self._kick(chat)
        return await future

    def show(self, chat_id: int, message_id: int, spec: MessageSpec, reply_to: int | None = None) -> None:
        """Bring an existing message to `spec` soon (coalesced with any pending state)."""
        self._edit(chat_id, message_id, spec, None, reply_to)

    async def finish(self, view: JobView) -> int:
        """Show the job's final state; returns once Telegram has it (the id may change if the
        original message was deleted and the result had to be sent anew)."""
        job = view.job
        if job.message_id is None:
            return await self.create(view)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._chat(job.chat_id).open.discard(job.message_id)
        self._edit(job.chat_id, job.message_id, message_for(view), None, job.reply_to, future)
        return await future

    def show_buttons(self, image: Image, buttons: tuple[Button, ...]) -> None:
        """Redraw a result's keyboard (e.g. to mark a tapped button)."""
        if image.chat_id is None or image.message_id is None:
            return
        self._edit(image.chat_id, image.message_id, None, keyboard(image, buttons), None)

    def say(self, chat_id: int, text: str, reply_to: int | None = None) -> None:
        """A short HTML reply, paced like everything else; fire and forget."""
        chat = self._chat(chat_id)
        chat.sends.append(_Send(MessageSpec(text), reply_to, None))
        self._kick(chat)

    async def aclose(self, timeout: float = 5.0) -> None:
        """Give pending final states a moment to go out, then stop the workers."""
        tasks = [c.task for c in self._chats.values() if c.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)

    # queueing

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            per_minute = self._limits.group_per_minute if chat_id < 0 else None
            pacer = ChatPacer(
                interval=self._limits.chat_interval, per_minute=per_minute, burst=self._limits.chat_burst
            )
            chat = _Chat(chat_id, pacer)
            self._chats[chat_id] = chat
        return chat

    def _edit(
        self,
        chat_id: int,
        message_id: int,
        spec: MessageSpec | None,
        markup: Keyboard | None,
        reply_to: int | None,
        waiter: asyncio.Future[int] | None = None,
    ) -> None:
        chat = self._chat(chat_id)
        pending = chat.edits.get(message_id)
        if pending is None:
            due = 0.0
            if spec is not None and not spec.final:
                due = chat.last_edit.get(message_id, 0.0) + self._limits.progress_interval
            pending = chat.edits[message_id] = _Edit(message_id, spec, markup, due, reply_to)
        elif spec is not None:
            if pending.spec is None or not pending.spec.final or spec.final:
                pending.spec = spec
            if spec.final:
                pending.due = 0.0
        elif pending.spec is not None:
            pending.spec = replace(pending.spec, keyboard=markup or ())
        else:
            pending.markup = markup
        if waiter is not None:
            pending.waiters.append(waiter)
        self._kick(chat)

    def _kick(self, chat: _Chat) -> None:
        chat.wake.set()
        if chat.task is None or chat.task.done():
            chat.task = asyncio.get_running_loop().create_task(self._drain(chat), name=f"notifier:{chat.id}")

    def _next(self, chat: _Chat) -> _Edit | _Send | float | None:
        """The most important pending call, or seconds to wait, or None when idle."""
        urgent = [e for e in chat.edits.values() if e.urgent]
        if urgent:
            return chat.edits.pop(urgent[0].message_id)
        if chat.sends:
            return chat.sends.popleft()
        if not chat.edits:
            return None
        now = time.monotonic()
        first = min(chat.edits.values(), key=lambda e: e.due)
        if first.due <= now:
            return chat.edits.pop(first.message_id)
        return first.due - now

    async def _drain(self, chat: _Chat) -> None:
        while True:
            chat.wake.clear()
            op = self._next(chat)
            if op is None:
                return
            if isinstance(op, float):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(chat.wake.wait(), op)
                continue
            # Wait until the chat may take this kind of call, and only then choose what to send:
            # a result that arrived meanwhile goes first (it never waits behind a progress edit).
            self._requeue(chat, op)
            delay = chat.pacer.delay(**self._keep(chat, op))
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(chat.wake.wait(), delay)
                continue
            await self._global.take()
            picked = self._next(chat)
            if picked is None or isinstance(picked, float):
                continue
            op = picked
            if chat.pacer.delay(**self._keep(chat, op)) > 0:
                self._requeue(chat, op)
                continue
            chat.pacer.record()
            try:
                await self._perform(chat, op)
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                log.warning("Telegram flood control in chat %s: waiting %.0f s", chat.id, seconds)
                chat.pacer.ban(seconds)
                self._requeue(chat, op)
            except Exception as exc:  # a failed call must never stop the chat's worker
                log.exception("giving up on a Telegram call in chat %s", chat.id)
                self._fail(op, exc)

    @staticmethod
    def _keep(chat: _Chat, op: _Edit | _Send) -> dict[str, int]:
        """Calls to leave in hand: only results may use the chat's last call; progress edits in a
        group also leave one call of the minute for every job whose result is still to come."""
        if isinstance(op, _Edit) and op.urgent:
            return {}
        if isinstance(op, _Send):
            return {"keep": 1}
        return {"keep": 1, "keep_window": len(chat.open)}

    def _requeue(self, chat: _Chat, op: _Edit | _Send) -> None:
        if isinstance(op, _Send):
            chat.sends.appendleft(op)
            return
        newer = chat.edits.get(op.message_id)
        if newer is None:
            chat.edits[op.message_id] = op
            return
        newer.waiters.extend(op.waiters)
        if newer.spec is None and op.spec is not None:
            newer.spec = replace(op.spec, keyboard=newer.markup or op.spec.keyboard)

    @staticmethod
    def _fail(op: _Edit | _Send, exc: Exception) -> None:
        futures = op.waiters if isinstance(op, _Edit) else [op.future] if op.future else []
        for future in futures:
            if not future.done():
                future.set_exception(exc)

    # calls

    async def _perform(self, chat: _Chat, op: _Edit | _Send) -> None:
        if isinstance(op, _Send):
            sent = await self._send_new(chat, op.spec, op.reply_to)
            if op.future is not None and not op.future.done():
                op.future.set_result(sent)
            return
        message_id = op.message_id
        if op.spec is None:
            await self._apply_markup(chat, op)
        else:
            message_id = await self._apply(chat, op, op.spec)
        for future in op.waiters:
            if not future.done():
                future.set_result(message_id)

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

    async def _apply_markup(self, chat: _Chat, op: _Edit) -> None:
        rows = op.markup or ()
        known = chat.applied.get(op.message_id)
        if known is not None and known.keyboard == rows:
            return
        try:
            await self._with_retries(
                lambda: self._bot.edit_message_reply_markup(
                    chat.id, op.message_id, reply_markup=_markup(rows)
                ),
                final=True,
            )
        except BadRequest as exc:
            if not _says(exc, ("not modified",)):
                log.info("could not redraw buttons of %s/%s: %s", chat.id, op.message_id, exc.message)
                return
        if known is not None:
            chat.remember(op.message_id, replace(known, keyboard=rows))

    async def _apply(self, chat: _Chat, op: _Edit, spec: MessageSpec) -> int:
        """Bring one message to `spec` with the fewest calls; returns where it is shown."""
        known = chat.applied.get(op.message_id)
        if known == spec:
            return op.message_id
        try:
            await self._with_retries(
                lambda: self._edit_call(chat.id, op.message_id, spec, known), final=spec.final
            )
        except BadRequest as exc:
            if _says(exc, ("not modified",)):
                pass
            elif _says(exc, _GONE):
                if not spec.final:
                    return op.message_id
                return await self._send_anew(chat, op, spec)
            elif spec.photo and _says(exc, _URL_REFUSED):
                if not spec.final:  # a preview Telegram cannot fetch: show the text alone
                    return await self._apply(chat, op, replace(spec, photo=None))
                await self._upload(chat.id, op.message_id, spec)
            else:
                raise
        chat.remember(op.message_id, spec)
        return op.message_id

    async def _edit_call(
        self, chat_id: int, message_id: int, spec: MessageSpec, known: MessageSpec | None
    ) -> None:
        markup = _markup(spec.keyboard)
        if spec.photo is not None:
            if known is not None and known.photo == spec.photo:
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
            if not _says(exc, ("no text in the message",)):
                raise
            await self._bot.edit_message_caption(
                chat_id, message_id, caption=spec.body, parse_mode=ParseMode.HTML, reply_markup=markup
            )

    async def _upload(self, chat_id: int, message_id: int, spec: MessageSpec) -> None:
        """Telegram refused the URL: fetch the bytes ourselves and upload them."""
        if not isinstance(spec.photo, str):
            raise ValueError("Telegram refused an uploaded picture")
        data, name = await self._download(spec.photo)
        markup = _markup(spec.keyboard)
        media: InputMediaPhoto | InputMediaDocument
        if len(data) <= PHOTO_UPLOAD_LIMIT:
            media = InputMediaPhoto(data, caption=spec.body, parse_mode=ParseMode.HTML, filename=name)
            try:
                await self._bot.edit_message_media(media, chat_id, message_id, reply_markup=markup)
                return
            except BadRequest as exc:
                if not _says(exc, _URL_REFUSED):
                    raise
        media = InputMediaDocument(data, caption=spec.body, parse_mode=ParseMode.HTML, filename=name)
        await self._bot.edit_message_media(media, chat_id, message_id, reply_markup=markup)

    async def _download(self, url: str) -> tuple[bytes, str]:
        name = url.split("?", 1)[0].rsplit("/", 1)[-1] or "image.png"
        return await download(self._http, url, DOCUMENT_UPLOAD_LIMIT), name[-60:]

    async def _send_anew(self, chat: _Chat, op: _Edit, spec: MessageSpec) -> int:
        """The progress message is gone (deleted by someone): deliver the result as a new message."""
        return await self._send_new(chat, spec, op.reply_to)

    async def _send_new(self, chat: _Chat, spec: MessageSpec, reply_to: int | None) -> int:
        markup = _markup(spec.keyboard)
        reply = _reply(reply_to)
        message: Message
        if spec.photo is None:
            message = await self._with_retries(
                lambda: self._bot.send_message(
                    chat.id, spec.body, parse_mode=ParseMode.HTML, reply_markup=markup, reply_parameters=reply
                ),
                final=True,
            )
        else:
            photo = spec.photo
            message = await self._with_retries(
                lambda: self._bot.send_photo(
                    chat.id, photo, caption=spec.body, parse_mode=ParseMode.HTML, reply_markup=markup,
                    reply_parameters=reply,
                ),
                final=True,
            )  # fmt: skip
        chat.remember(message.message_id, spec)
        return message.message_id


def _reply(message_id: int | None) -> ReplyParameters | None:
    return ReplyParameters(message_id, allow_sending_without_reply=True) if message_id else None

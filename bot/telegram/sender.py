"""The per-chat scheduler under the Telegram notifier. No Bot API inside: the call that performs
one operation and the clock are injected, so its rules are tested on a fake clock.

Jobs publish the state they want a message to show; each chat has one worker that applies the
newest state of each message, never an outdated one (coalescing). Final results go before new
messages, and those before progress edits; progress edits of one message are throttled to one per
`progress_interval`, and leave a call of the chat's burst (and, in a group, one call of the minute
per job still waiting for its result) in reserve, so a result never waits behind progress. Calls
are paced per chat, per group minute and bot-wide; a `RetryLater` (Telegram's 429) bans the chat
for its `retry_after` and the operation is tried again afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from bot.render.spec import Keyboard, MessageSpec
from bot.runtime import logcontext, metrics
from bot.runtime.tasks import Closed
from bot.telegram.pacing import ChatPacer, GlobalBucket
from bot.telegram.shared_pacing import SharedPace

log = logging.getLogger(__name__)
_REMEMBERED = 500  # last-edit times kept per chat
_CHATS_KEPT = 1000  # past this many chats, quiet ones are forgotten
_IDLE_FORGET = 120.0  # seconds: longer than every pacing window (a group's minute)


@dataclass(frozen=True)
class Limits:
    chat_interval: float = 1.0
    group_per_minute: int = 20
    global_per_second: int = 30
    progress_interval: float = 4.0
    chat_burst: int = 2  # a result may follow another call into the chat at once (see ChatPacer)


class RetryLater(Exception):
    """Raised by `perform` when Telegram says to wait (429): the chat is banned for `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds:g} s")
        self.seconds = seconds


@dataclass
class Edit:
    """Bring an existing message to `spec` (or only its keyboard to `markup` when `spec` is None)."""

    message_id: int
    spec: MessageSpec | None
    markup: Keyboard | None
    due: float
    reply_to: int | None = None
    waiters: list[asyncio.Future[int]] = field(default_factory=list)
    since: float = 0.0  # when it was asked for (how long a result waited for Telegram's limits)

    @property
    def urgent(self) -> bool:
        return self.spec is None or self.spec.final


@dataclass
class Send:
    """A new message; `future` gets its id."""

    spec: MessageSpec
    reply_to: int | None
    future: asyncio.Future[int] | None
    started: bool = False
    since: float = 0.0  # its call is under way: what it shows can no longer change


Operation = Edit | Send
Perform = Callable[[int, Operation], Awaitable[int]]  # (chat id, operation) → id of the message shown


class _Chat:
    def __init__(self, chat_id: int, pacer: ChatPacer) -> None:
        self.id = chat_id
        self.pacer = pacer
        self.edits: dict[int, Edit] = {}
        self.sends: deque[Send] = deque()
        self.last_edit: OrderedDict[int, float] = OrderedDict()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.open: set[int] = set()  # messages of jobs whose result is still to come
        self.active = 0.0  # when the last call went out (the sender's clock)

    def edited(self, message_id: int, now: float) -> None:
        self.last_edit[message_id] = now
        self.last_edit.move_to_end(message_id)
        while len(self.last_edit) > _REMEMBERED:
            self.last_edit.popitem(last=False)


class Sender:
    def __init__(
        self, limits: Limits, perform: Perform, clock: Callable[[], float] | None = None, shared: SharedPace | None = None
    ) -> None:
        self._limits = limits
        self._perform = perform
        self._shared = shared  # with replicas: the calls of all of them, booked in the database
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._global = GlobalBucket(limits.global_per_second, self._clock)
        self._chats: dict[int, _Chat] = {}
        self._closed = False

    # what callers ask for

    def send(self, chat_id: int, spec: MessageSpec, reply_to: int | None, future: asyncio.Future[int] | None) -> Send:
        self._refuse_if_closed()
        chat = self._chat(chat_id)
        op = Send(spec, reply_to, future, since=self._clock())
        chat.sends.append(op)
        self._kick(chat)
        return op

    def upgrade(self, chat_id: int, op: Send, spec: MessageSpec) -> bool:
        """Have a new message that has not gone out yet show `spec` instead: what it shows is the
        newest state when its call is made, not the one it was queued with (and a job's result that
        came first becomes that message: one call instead of two); a final goes first. False when
        the message is already on its way (or sent)."""
        chat = self._chats.get(chat_id)
        if chat is None or op.started or (op.future is not None and op.future.done()):
            return False
        op.spec = spec
        if spec.final and op in chat.sends:
            chat.sends.remove(op)
            chat.sends.appendleft(op)
        self._kick(chat)
        return True

    def edit(
        self,
        chat_id: int,
        message_id: int,
        spec: MessageSpec | None,
        markup: Keyboard | None = None,
        reply_to: int | None = None,
        waiter: asyncio.Future[int] | None = None,
    ) -> None:
        """Bring a message to `spec` soon, replacing any state still pending for it."""
        self._refuse_if_closed()
        chat = self._chat(chat_id)
        pending = chat.edits.get(message_id)
        if pending is None:
            due = 0.0
            if spec is not None and not spec.final and not spec.interactive:
                due = chat.last_edit.get(message_id, -1e9) + self._limits.progress_interval
            pending = chat.edits[message_id] = Edit(message_id, spec, markup, due, reply_to, since=self._clock())
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

    def awaiting_result(self, chat_id: int, message_id: int, waiting: bool) -> None:
        """Mark a job message whose result is (or is no longer) still to come: the reserve."""
        chat = self._chat(chat_id)
        (chat.open.add if waiting else chat.open.discard)(message_id)

    async def aclose(self, timeout: float = 5.0) -> None:
        """Give pending final states a moment to go out, then stop the workers; work offered after
        this is refused (`Closed`). A cancellation of the closer itself is not swallowed.

        Pending progress is dropped, not sent: its job is resumed elsewhere (another replica, or
        this bot's next run), and a progress edit landing after that one's result would hide it."""
        self._closed = True
        for chat in self._chats.values():
            for message_id, pending in list(chat.edits.items()):
                if pending.spec is not None and not pending.spec.final and not pending.spec.interactive \
                        and not pending.waiters:  # fmt: skip
                    del chat.edits[message_id]
            chat.wake.set()
        tasks = [c.task for c in self._chats.values() if c.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # scheduling

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= _CHATS_KEPT:
                self._forget_idle()
            per_minute = self._limits.group_per_minute if chat_id < 0 else None
            pacer = ChatPacer(
                interval=self._limits.chat_interval, per_minute=per_minute, burst=self._limits.chat_burst
            )
            chat = self._chats[chat_id] = _Chat(chat_id, pacer)
        return chat

    def _forget_idle(self) -> None:
        """Drop chats with nothing pending whose pacing window has passed: the bot may be in
        thousands of chats, and a quiet one needs no state (its limits start afresh)."""
        now = self._clock()
        for chat_id, chat in list(self._chats.items()):
            idle = chat.task is None or chat.task.done()
            quiet = now - chat.active > _IDLE_FORGET and chat.pacer.banned_until <= now
            if idle and quiet and not chat.edits and not chat.sends and not chat.open:
                del self._chats[chat_id]

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise Closed("the sender is closed: nothing more goes out")

    def _kick(self, chat: _Chat) -> None:
        self._refuse_if_closed()
        chat.wake.set()
        if chat.task is None or chat.task.done():
            chat.task = asyncio.get_running_loop().create_task(
                self._drain(chat), name=f"sender:{chat.id}", context=logcontext.detached()
            )

    def _next(self, chat: _Chat) -> Operation | float | None:
        """The most important pending operation, or seconds to wait, or None when idle."""
        urgent = [e for e in chat.edits.values() if e.urgent]
        if urgent:
            return chat.edits.pop(urgent[0].message_id)
        if chat.sends:
            return chat.sends.popleft()
        if not chat.edits:
            return None
        now = self._clock()
        first = min(chat.edits.values(), key=lambda e: e.due)
        if first.due <= now:
            return chat.edits.pop(first.message_id)
        return first.due - now

    async def _sleep(self, chat: _Chat, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(chat.wake.wait(), seconds)

    async def _drain(self, chat: _Chat) -> None:
        while True:
            chat.wake.clear()
            op = self._next(chat)
            if op is None:
                return
            if isinstance(op, float):
                await self._sleep(chat, op)
                continue
            # Wait until the chat may take this kind of call, and only then choose what to send:
            # a result that arrived meanwhile goes first (it never waits behind a progress edit).
            self._requeue(chat, op)
            delay = chat.pacer.delay(self._clock(), **self._keep(chat, op))
            if delay > 0:
                await self._sleep(chat, delay)
                continue
            if self._shared is not None:  # the other replicas' calls: waited for before choosing
                await self._shared.before(chat.id)
            await self._global.take()
            picked = self._next(chat)
            if picked is None or isinstance(picked, float):
                continue
            op = picked
            if isinstance(op, Send) and op.future is not None and op.future.cancelled():
                continue  # its sender stopped waiting (shutting down): nobody would own the message
            if chat.pacer.delay(self._clock(), **self._keep(chat, op)) > 0:
                self._requeue(chat, op)
                continue
            chat.pacer.record(self._clock())
            if isinstance(op, Send):
                op.started = True
            try:
                shown = await self._perform(chat.id, op)
            except RetryLater as exc:
                log.warning("Telegram flood control in chat %s: waiting %.0f s", chat.id, exc.seconds)
                chat.pacer.ban(exc.seconds, self._clock())
                bot_wide = self._global.busy()  # most likely the bot-wide limit: every chat waits
                if bot_wide:
                    self._global.ban(exc.seconds)
                if self._shared is not None:
                    await self._shared.hold(chat.id, exc.seconds, bot_wide=bot_wide)
                if isinstance(op, Send):
                    op.started = False
                self._requeue(chat, op)
                continue
            except Exception as exc:  # a failed call must never stop the chat's worker
                log.exception("giving up on a Telegram call in chat %s", chat.id)
                self._fail(op, exc)
                continue
            self._done(chat, op, shown)

    def _done(self, chat: _Chat, op: Operation, shown: int) -> None:
        chat.active = self._clock()
        if op.spec is not None and op.spec.final:
            metrics.pacing_wait(chat.active - op.since)
        chat.edited(shown, chat.active)
        futures = op.waiters if isinstance(op, Edit) else [op.future] if op.future else []
        for future in futures:
            if not future.done():
                future.set_result(shown)

    @staticmethod
    def _keep(chat: _Chat, op: Operation) -> dict[str, int]:
        """Calls to leave in hand: only results may use the chat's last call; progress edits in a
        group also leave one call of the minute for every job whose result is still to come."""
        if isinstance(op, Edit) and op.urgent:
            return {}
        if isinstance(op, Send):
            return {} if op.spec.final else {"keep": 1}
        return {"keep": 1, "keep_window": len(chat.open)}

    @staticmethod
    def _requeue(chat: _Chat, op: Operation) -> None:
        if isinstance(op, Send):
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
    def _fail(op: Operation, exc: Exception) -> None:
        futures = op.waiters if isinstance(op, Edit) else [op.future] if op.future else []
        for future in futures:
            if not future.done():
                future.set_exception(exc)

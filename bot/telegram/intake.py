"""Every update is recorded in the database before Telegram hears it arrived (the webhook's 200, or
the next getUpdates' offset), and is then handled by the process that recorded it.

- A redelivery, or a balancer's duplicate, finds its `update_id` recorded and is not handled again
  (on any replica).
- A process killed before it finished an update leaves it claimed until the claim runs out
  (`lease` seconds); another replica (or this one, restarted) then handles it. A stopping replica
  hands its unfinished updates over at once.

In long polling only one process may call getUpdates (Telegram answers a second with 409): `Poller`
polls while it holds the database's poller lock, which passes to another replica when it dies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter

from bot.runtime import metrics, origin
from bot.runtime.tasks import TaskSet
from bot.store import Store
from bot.telegram.context import BotApplication

log = logging.getLogger(__name__)
POLL_LOCK = 0x6D6A706F  # the advisory lock of the one getUpdates caller ("mjpo")


class Intake:
    def __init__(self, application: BotApplication, *, lease: float = 30.0, concurrency: int = 64) -> None:
        self._application = application
        self._lease = lease
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks = TaskSet()
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # a lock per chat, while it has updates
        self.store: Store | None = None  # set once the services are built
        self.closing = False

    @property
    def _store(self) -> Store:
        assert self.store is not None, "the intake is used before the services are built"
        return self.store

    def start(self) -> None:
        self._tasks.spawn(self._recover_forever(), name="updates-recovery")

    async def receive(self, update: Update, body: str) -> bool:
        """Record an update (`body`, its JSON as it came) durably and start handling it; False when
        it was recorded before."""
        update_id = update.update_id
        until = self._store.replicas.clock() + self._lease
        if not await self._store.replicas.take_update(update_id, body, self._store.owner, until):
            log.info("skipping update %s: handled before", update_id)
            metrics.duplicate_update()
            return False
        self._tasks.spawn(self._handle(update, until), name=f"update-{update_id}")
        return True

    async def _handle(self, update: Update, until: float, *, again: bool = False) -> None:
        token = origin.handling(update.update_id, again=again)
        try:
            chat = update.effective_chat
            async with self._in_order(chat.id if chat is not None else None), self._slots:
                stale = self._store.replicas.clock() > until - self._lease / 2
                if stale and not await self._still_ours(update.update_id):
                    return  # waited so long that another replica took it over
                await self._application.process_update(update)
            await self._store.replicas.update_done(update.update_id)
        finally:
            origin.done(token)

    @contextlib.asynccontextmanager
    async def _in_order(self, chat_id: int | None) -> AsyncIterator[None]:
        """One chat's updates are handled one after another, in the order they came (a person's
        third /imagine is the one refused for their cap, not the second); chats run side by side."""
        if chat_id is None:
            yield
            return
        lock, users = self._chats.get(chat_id, (asyncio.Lock(), 0))
        self._chats[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._chats[chat_id]
            if users == 1:
                del self._chats[chat_id]
            else:
                self._chats[chat_id] = (lock, users - 1)

    async def _still_ours(self, update_id: int) -> bool:
        until = self._store.replicas.clock() + self._lease
        return await self._store.replicas.renew_update(update_id, self._store.owner, until)

    async def _recover_forever(self) -> None:
        """Handle updates whose replica died before it finished them (alone on the database: what
        the last run left, at once)."""
        first = not self._store.shared
        while True:
            if not first:
                await asyncio.sleep(self._lease / 3 * random.uniform(0.8, 1.0))
            try:
                until = self._store.replicas.clock() + self._lease
                stale = await self._store.replicas.claim_stale_updates(self._store.owner, until, everything=first)
                first = False
            except Exception:
                log.exception("looking for unfinished updates failed (retrying)")
                continue
            for update_id, body in stale:
                log.warning("replica %s handles update %s, left unfinished by a replica that stopped",
                            self._store.owner, update_id)  # fmt: skip
                try:
                    update = Update.de_json(json.loads(body), self._application.bot)
                except Exception:
                    log.warning("update %s is not one this bot can read; dropped", update_id)
                    await self._store.replicas.update_done(update_id)
                    continue
                self._tasks.spawn(self._handle(update, until, again=True), name=f"update-{update_id}")

    async def aclose(self, grace: float = 5.0) -> None:
        """No new updates; those being handled get `grace` seconds, the rest pass to other replicas."""
        self.closing = True
        running = [t for t in self._tasks.tasks() if t.get_name() != "updates-recovery"]
        if running:
            await asyncio.wait(running, timeout=grace)
        await self._tasks.close()
        if self.store is not None:
            with contextlib.suppress(Exception):
                await self._store.replicas.release_updates(self._store.owner)


class Poller:
    """Long polling: getUpdates while this process holds the poller lock (always, on SQLite)."""

    def __init__(self, application: BotApplication, intake: Intake, *, timeout: int = 10, retry: float = 3.0) -> None:
        self._application = application
        self._intake = intake
        self._timeout = timeout
        self._retry = retry

    async def run(self) -> None:
        store = self._intake.store
        assert store is not None
        announced = False
        while True:
            leadership = await self._try_lead(store)
            if leadership is None:
                if not announced:
                    log.info("replica %s: another replica polls Telegram; this one works on jobs", store.owner)
                    announced = True
                await asyncio.sleep(self._retry * random.uniform(0.8, 1.2))
                continue
            announced = False
            log.info("replica %s polls Telegram for updates", store.owner)
            try:
                await self._poll(leadership)
            finally:
                await leadership.release()
            log.warning("replica %s lost the poller lock (its database connection failed)", store.owner)

    @staticmethod
    async def _try_lead(store: Store) -> Any:
        try:
            return await store.db.try_lead(POLL_LOCK)
        except Exception as exc:
            log.warning("could not ask for the poller lock: %s", exc)
            return None

    async def _poll(self, leadership: Any) -> None:
        bot = self._application.bot
        offset: int | None = None
        while await leadership.alive():
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=self._timeout, allowed_updates=Update.ALL_TYPES
                )
                for update in updates:  # recorded before the next call confirms them
                    await self._intake.receive(update, json.dumps(update.to_dict(), separators=(",", ":")))
            except InvalidToken:
                raise
            except Conflict:
                log.warning("Telegram says another process polls this bot (409); retrying")
                await asyncio.sleep(self._retry)
                continue
            except RetryAfter as exc:
                wait = exc.retry_after
                await asyncio.sleep(wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed: %s; retrying", exc)
                await asyncio.sleep(self._retry)
                continue
            except Exception:
                log.exception("recording updates failed; asking again")
                await asyncio.sleep(self._retry)
                continue
            if updates:
                offset = updates[-1].update_id + 1

"""Each job's one chat message, sent while the job already goes upstream.

A job is queued (and may be submitted) the moment it is admitted; its first message follows as
soon as the chat's pacing allows, and catches up with whatever state the job reached meanwhile.
Progress before the message exists is simply not shown. A result whose first message has not gone
out yet becomes that message (the notifier swaps what the queued message shows: one call instead
of two); any other final state waits for the message (`of`) and edits it. A message that could not be
sent at all cancels the job if it was not submitted yet; otherwise `message_id` stays None and the
result is sent as a new message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.core.domain import Job, JobState, JobView
from bot.jobs.ports import Notifier
from bot.runtime.tasks import TaskSet
from bot.store import Store

log = logging.getLogger(__name__)
SENT_GRACE = 2.0  # seconds a stopping bot waits for a first message already on its way


class Messages:
    def __init__(
        self, store: Store, notifier: Notifier, tasks: TaskSet, unsent: Callable[[Job], Awaitable[None]]
    ) -> None:
        self._store = store
        self._unsent = unsent  # the chat refused the first message (e.g. the bot was removed)
        self._notifier = notifier
        self._tasks = tasks
        self._pending: dict[int, asyncio.Future[int | None]] = {}
        self._known: dict[int, int] = {}  # job id → message id, for jobs whose message came late
        self._ending: set[int] = set()  # jobs whose final state is on its way: no more progress
        self._queued_as: dict[int, JobState] = {}  # the state a first message still waiting will show

    def announce(self, job: Job, position: int | None) -> None:
        """Send the job's first message in the background (a reply to the request)."""
        self._pending[job.id] = asyncio.get_running_loop().create_future()
        try:
            self._tasks.spawn(self._send(job, position), name=f"announce-{job.id}")
        except Exception:
            self._pending.pop(job.id, None).cancel()  # type: ignore[union-attr]
            raise

    async def _send(self, job: Job, position: int | None) -> None:
        future = self._pending[job.id]
        message_id: int | None = None
        creating = asyncio.ensure_future(self._notifier.create(JobView(job, position=position)))
        try:
            message_id = await asyncio.shield(creating)
        except asyncio.CancelledError:
            await self._record_if_sent(job.id, creating)
            raise
        except Exception:
            log.exception("could not send the first message of job %s", job.id)
        finally:
            # Known at once (before any await): a result arriving now edits this message.
            self._pending.pop(job.id, None)
            if message_id is not None:
                self._known[job.id] = message_id
            if not future.done():
                future.set_result(message_id)
        if message_id is None:
            await self._unsent(job)
            return
        shown = self._queued_as.pop(job.id, job.state)
        await self._store.first_message(job.id, message_id)
        latest = await self._store.get_job(job.id)
        if latest is None or latest.state.finished:
            self._known.pop(job.id, None)
        elif job.id not in self._ending and latest.state != shown:  # catch up
            self._notifier.update(JobView(replace(latest, message_id=message_id)))

    async def _record_if_sent(self, job_id: int, creating: asyncio.Future[int]) -> None:
        """Stopping while the first message is on its way: if it goes out now, keep its id with
        the job, so that whoever resumes the job (this bot restarted, or another replica) edits
        that message rather than leaving it behind and sending another."""
        try:
            async with asyncio.timeout(SENT_GRACE):
                message_id = await creating
            await self._store.first_message(job_id, message_id)
        except BaseException:  # not sent in time (or not at all): the one who resumes sends it
            creating.cancel()

    def fill(self, job: Job) -> Job:
        """The job with its message id if the message exists by now (never waits)."""
        if job.message_id is None and job.id in self._known:
            return replace(job, message_id=self._known[job.id])
        return job

    async def of(self, job: Job) -> Job:
        """The job with its message id, waiting for its first message if it is on its way."""
        if job.message_id is not None:
            return job
        pending = self._pending.get(job.id)
        if pending is not None:
            message_id = await asyncio.shield(pending)
            return replace(job, message_id=message_id) if message_id is not None else job
        return self.fill(job)

    def update(self, view: JobView) -> bool:
        """Show a job's state on its message (True when it will be shown). A first message still
        waiting for the chat's pacing is made to show it when it goes out: a job submitted meanwhile
        never appears with ✖ Cancel."""
        job = self.fill(view.job)
        if job.id in self._ending:
            return False
        if job.message_id is None:
            if job.id not in self._pending or not self._notifier.update(replace(view, job=job)):
                return False
            self._queued_as[job.id] = job.state
            return True
        self._notifier.update(replace(view, job=job))
        return True

    def ending(self, job_id: int) -> None:
        """The job's final state goes out now (it may become the first message itself)."""
        self._ending.add(job_id)

    def forget(self, job_id: int) -> None:
        self._known.pop(job_id, None)
        self._queued_as.pop(job_id, None)
        self._ending.discard(job_id)

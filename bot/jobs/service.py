"""The job layer's front door: handlers and other services call `JobService`, which only records
the job and returns; owned background tasks do the rest. Nothing here imports Telegram.

Life of a job: QUEUED → SUBMITTING → RUNNING (task id known) → DONE | FAILED; its message is sent
meanwhile (`messages.py`), so a job never waits for the chat's pacing to start. A QUEUED job may be
CANCELLED by its owner: it is then never submitted.
A job whose task id is known is never submitted again: after a dropped stream or a restart it is
followed through the tasks API until it finishes. A job that was sent but whose task id never came
back is looked for upstream until its deadline, and only then offered a Retry (`follow.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import re
from dataclasses import replace

from pydantic import ValidationError

from bot.core.domain import Image, Job, JobState, JobView, Picture, Refusal, Refused, Requester, Wishes
from bot.core.prompt import Prompt
from bot.core.urls import public_https
from bot.imagine import ImagineClient, ImagineResult
from bot.jobs.failures import INTERNAL
from bot.jobs.follow import Follower
from bot.jobs.leases import Leases, SharedSubmits
from bot.jobs.messages import Messages
from bot.jobs.ports import Admission, Alarms, CallbackAnswer, JobConfig, Notifier, PictureHost
from bot.jobs.queue import JobQueue
from bot.jobs.results import Results, job_kind
from bot.jobs.runner import Runner
from bot.jobs.tracking import TaskPoller
from bot.runtime import metrics, origin
from bot.runtime.tasks import TaskSet
from bot.store import Store

log = logging.getLogger(__name__)
AS_USUAL = Wishes()
ADMIT_LOCK = 0x6D6A6164  # the database-wide lock of admissions ("mjad")


class Cancelled(enum.Enum):
    DONE = "done"
    NOT_YOURS = "not_yours"
    TOO_LATE = "too_late"  # already submitted (or ended): upstream cannot cancel it
    ALREADY = "already"  # cancelled before (a second tap)
    UNKNOWN = "unknown"


class JobService:
    def __init__(
        self,
        store: Store,
        client: ImagineClient,
        notifier: Notifier,
        config: JobConfig,
        pictures: PictureHost | None = None,
        access: Admission | None = None,
        alerts: Alarms | None = None,
    ) -> None:
        self._store = store
        self._access = access
        self._notifier = notifier
        self._config = config
        self._tasks = TaskSet()
        self._messages = Messages(store, notifier, self._tasks, self._unsent)
        self._queue = JobQueue(
            self._messages, config, self._tasks, self._still_queued,
            cancelled_elsewhere=store.cancelled_among if store.shared else None, on_cancelled=self._show_cancelled,
        )  # fmt: skip
        self._results = Results(store, notifier, self._messages, self._tasks, alerts, config.clock)
        self._poller = TaskPoller(client, self._tasks)
        self._follower = Follower(store, client, self._messages, self._results, self._poller, config)
        submits = (
            SharedSubmits(store, concurrency=config.concurrency, interval=config.submit_interval)
            if store.shared else None
        )  # fmt: skip
        self._runner = Runner(
            store, client, self._messages, self._queue, self._results, self._follower, config, pictures, alerts,
            submits,
        )  # fmt: skip
        store.lease = config.lease
        self._leases = Leases(store, self._adopt, lease=config.lease)

    def _admitting(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while checking a user's limit and recording their job, so both happen as one step
        (on every replica: a database-wide lock when the database is shared)."""
        return self._store.db.exclusive(ADMIT_LOCK)

    async def start(self) -> None:
        """Resume what the last run left unfinished, then start the workers (and, with a shared
        database, keep this replica's leases and take over those of replicas that died)."""
        await self._adopt(await self._leases.claim_at_start())
        self._queue.start(self._runner.run, crashed=lambda job: self._results.fail(job, INTERNAL))
        if self._store.shared:
            self._tasks.spawn(self._leases.keep_forever(), name="job-leases")

    async def stop(self) -> None:
        """Stop all work; state is in the database, so the next start (or another replica) resumes it."""
        await self._tasks.close()
        if self._store.shared:
            await self._leases.release()

    async def _made_before(self) -> Job | None:
        """The job this update made when it was handled before (its replica died before the
        update was marked done): returned as it is, neither admitted nor announced again."""
        update_id = origin.update_id()
        if not origin.again() or update_id is None:
            return None
        made = await self._store.job_of_update(update_id)
        if made is not None:
            log.warning("update %s was handled before its replica died: its job %s goes on", update_id, made.id)
        return made

    async def _admit(self, requester: Requester, chat_id: int) -> Refused | None:
        """The one admission check every new job passes (with `admitting` held, so that the
        check and the new job are one step): the operator's lists, caps and daily limits."""
        return await self._access.check(requester.user_id, chat_id) if self._access is not None else None

    async def imagine(
        self,
        *,
        chat_id: int,
        chat_type: str,
        requester: Requester,
        reply_to: int | None,
        prompt: Prompt,
        pictures: tuple[Picture, ...] = (),
        wishes: Wishes = AS_USUAL,
    ) -> Job | Refused:
        """Queue a generation; `pictures` (and URLs typed first) make an image prompt or a blend.
        The prompt's own --fast/--relax/--turbo wins over the person's speed."""
        sources = pictures + tuple(Picture(url=url) for url in prompt.image_urls)
        async with self._admitting():
            if (made := await self._made_before()) is not None:
                return made
            if (refused := await self._admit(requester, chat_id)) is not None:
                return refused
            job = await self._store.create_job(
                Job(
                    id=0, chat_id=chat_id, chat_type=chat_type, requester=requester, prompt=prompt.text,
                    upstream_prompt=None if sources else prompt.full, mode=prompt.mode or wishes.mode,
                    reply_to=reply_to, sources=sources, translate=wishes.translate, notify=wishes.notify,
                )
            )  # fmt: skip
        self._admitted(job)
        return job

    async def start_action(
        self,
        image: Image,
        action: str,
        *,
        chat_id: int,
        chat_type: str,
        requester: Requester,
        reply_to: int | None,
        button_key: str | None = None,
        mask: str | None = None,
        prompt: str | None = None,
        wishes: Wishes = AS_USUAL,
    ) -> Job | Refused:
        """Queue `action` on a finished image (a button, or a submitted region picker); whoever
        asked owns the job. A button's action runs once at a time (BUSY while it runs)."""
        async with self._admitting():
            if (made := await self._made_before()) is not None:
                return made
            if button_key is not None and await self._store.active_job_for_button(button_key) is not None:
                return Refused(Refusal.BUSY)
            if (refused := await self._admit(requester, chat_id)) is not None:
                return refused
            job = await self._store.create_job(
                Job(
                    id=0, chat_id=chat_id, chat_type=chat_type, requester=requester, prompt=prompt or image.prompt,
                    upstream_prompt=prompt, action=action, parent_image_id=image.image_id, reply_to=reply_to,
                    button_key=button_key, mask=mask, mode=wishes.mode, translate=wishes.translate,
                    notify=wishes.notify,
                )
            )  # fmt: skip
            if button_key is not None:
                await self._store.mark_pressed(button_key)
        self._admitted(job)
        return job

    async def retry(self, job_id: int, requester: Requester, wishes: Wishes = AS_USUAL) -> Job | Refused:
        """The same request again, on the same message, as a new job of whoever tapped Retry
        (admitted like any other); BUSY unless the job has failed."""
        async with self._admitting():  # read, check and hand the message over as one step
            if (made := await self._made_before()) is not None:
                return made
            failed = await self._store.get_job(job_id)
            if failed is None or failed.state not in {JobState.FAILED, JobState.INTERRUPTED}:
                return Refused(Refusal.BUSY)
            if failed.message_id is None:  # retried already: its message belongs to that job now
                return Refused(Refusal.BUSY)
            if (refused := await self._admit(requester, failed.chat_id)) is not None:
                return refused
            if not await self._store.release_message(failed.id):
                return Refused(Refusal.BUSY)
            job = await self._store.create_job(
                Job(
                    id=0, chat_id=failed.chat_id, chat_type=failed.chat_type, requester=requester,
                    prompt=failed.prompt, upstream_prompt=failed.upstream_prompt, action=failed.action,
                    parent_image_id=failed.parent_image_id, mode=failed.mode, mask=failed.mask,
                    reply_to=failed.reply_to, message_id=failed.message_id, sources=failed.sources,
                    translate=failed.translate, notify=wishes.notify,
                )
            )  # fmt: skip
            metrics.job_started("retry")
            self._queue.put(job)
        self._messages.update(JobView(job, position=self._queue.position_of(job.id)))
        return job

    async def cancel(self, job_id: int, chat_id: int, requester: Requester) -> Cancelled:
        """Cancel a job that is still waiting (never submitted); only its owner may."""
        job = await self._store.get_job(job_id)
        if job is None or job.chat_id != chat_id:
            return Cancelled.UNKNOWN
        if job.requester.user_id != requester.user_id:
            return Cancelled.NOT_YOURS
        if not await self._store.cancel_job(job_id):  # submitted (or ended) meanwhile
            latest = await self._store.get_job(job_id)
            cancelled = latest is not None and latest.state is JobState.CANCELLED
            return Cancelled.ALREADY if cancelled else Cancelled.TOO_LATE
        metrics.job_finished(job_kind(job), "cancelled")
        log.info("job %s cancelled by its owner", job_id)
        # With replicas the job may wait at another one: that one drops it within a second and shows
        # the same end again (an edit to the same text), so no late "in line" edit of its can stay.
        self._queue.remove(job_id)
        self._show_cancelled(job)
        return Cancelled.DONE

    def _show_cancelled(self, job: Job) -> None:
        ended = replace(job, state=JobState.CANCELLED)
        self._tasks.spawn(self._results.show_end(ended), name=f"cancelled-{job.id}")

    def counts(self) -> tuple[int, int]:
        """(jobs waiting for an upstream slot, jobs upstream now)."""
        return self._queue.counts()

    def position_of(self, job_id: int) -> int | None:
        """A waiting job's place in line (as its message shows it), or None."""
        return self._queue.position_of(job_id)

    async def owner_of(self, job_id: int) -> Requester | None:
        job = await self._store.get_job(job_id)
        return job.requester if job is not None else None

    async def refresh_buttons(self, image: Image) -> None:
        """Redraw a result's keyboard (a tapped button shows ✅)."""
        self._notifier.show_buttons(image, await self._store.buttons_for_image(image.image_id))

    async def expects_callback(self, secret: str) -> bool:
        """Whether a POST to this callback secret may be read at all (a job still running)."""
        job = await self._store.job_by_callback(secret)
        return job is not None and not job.state.finished

    async def on_callback(self, secret: str, body: bytes) -> CallbackAnswer:
        """A POST to a job's callback URL. Unknown secrets, finished jobs and other tasks' results
        are UNKNOWN (404); a body that is not a result is logged with its trace id (400)."""
        job = await self._store.job_by_callback(secret)
        if job is None or job.state.finished:
            return CallbackAnswer.UNKNOWN
        try:
            result = ImagineResult.model_validate_json(body)
        except ValidationError:
            trace_id = re.search(rb'"trace_id"\s*:\s*"([^"]{1,100})"', body[:100_000])
            log.warning("job %s: unreadable callback body (%d bytes, trace_id %s): %r", job.id, len(body),
                        trace_id[1].decode("utf-8", "replace") if trace_id else None, body[:200])  # fmt: skip
            return CallbackAnswer.UNREADABLE
        if job.task_id and result.task_id and result.task_id != job.task_id:
            log.warning("job %s: callback for another task (%s); ignored", job.id, result.task_id)
            return CallbackAnswer.UNKNOWN
        urls = (result.image_url, result.raw_image_url)
        if any(url and not public_https(url, allow_private=self._config.allow_private_urls) for url in urls):
            log.warning("job %s: a callback named a picture that is not public https (%r); refused", job.id,
                        result.image_url)  # fmt: skip
            return CallbackAnswer.UNREADABLE
        self._follower.push(job.id, result)
        return CallbackAnswer.OK

    async def _still_queued(self, job_id: int) -> bool:
        job = await self._store.get_job(job_id)
        return job is not None and job.state is JobState.QUEUED

    async def _unsent(self, job: Job) -> None:
        """Its first message could not be sent: a job not submitted yet is dropped (it could not
        be shown either); one already upstream runs on, and its result is sent as a new message."""
        if await self._store.cancel_job(job.id):
            self._queue.remove(job.id)
            log.warning("job %s dropped: its chat refused its first message", job.id)

    def _admitted(self, job: Job) -> None:
        """Queue the job at once (it may be submitted before its message is out), and announce it."""
        metrics.job_started(job_kind(job))
        busy = self._queue.busy
        self._queue.put(job)
        self._messages.announce(job, self._queue.position_of(job.id) if busy else None)

    async def _adopt(self, jobs: list[Job]) -> None:
        """Pick up jobs a run left unfinished (this process's last run, or a replica that died):
        running tasks are asked about in batches first (jobs that finished meanwhile end at once),
        the rest go back in the queue."""
        if jobs:
            log.info("replica %s resumes %d unfinished jobs: %s", self._store.owner, len(jobs),
                     ", ".join(str(job.id) for job in jobs[:50]))  # fmt: skip
        known = [job.task_id for job in jobs if job.task_id]
        records = await asyncio.gather(*(self._poller.poll(task_id) for task_id in known))
        outcomes = {
            task_id: record.outcome() for task_id, record in zip(known, records, strict=True) if record
        }
        for job in jobs:
            outcome = outcomes.get(job.task_id or "")
            if job.message_id is None:  # admitted, but its first message never went out
                self._messages.announce(job, None)
            if outcome is not None and (outcome.failed or outcome.is_final):
                self._tasks.spawn(self._results.absorb(job, outcome), name=f"resumed-{job.id}")
            elif job.task_id or job.state is JobState.SUBMITTING:
                # Sent before the restart (SUBMITTING: its task id never came back): it may be running,
                # and charged, upstream, so it is followed or looked for, never submitted again.
                self._queue.put(job, first=True)
            else:
                if job.state is not JobState.QUEUED:
                    await self._store.update_job(job.id, state=JobState.QUEUED)
                self._queue.put(replace(job, state=JobState.QUEUED))

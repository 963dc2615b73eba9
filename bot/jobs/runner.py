"""One job upstream: host its pictures, submit it (live stream, or callback mode), and hand it to
the follower when the answer breaks off. A job whose task id is known is never submitted again.
Upstream busy (429) puts it back in the queue with backoff; a 5xx is retried once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from dataclasses import replace
from typing import Any

from bot.core.domain import Job, JobState, JobView
from bot.core.prompt import clean_text, needs_translation, split_prompt
from bot.imagine import (
    Accepted,
    ConnectionLost,
    ImagineClient,
    ImagineError,
    NotSent,
    RateLimited,
    TaskFailed,
    Unavailable,
)
from bot.jobs.failures import BUSY_FAILURE, DEADLINE, Failure, explain, upstream_detail
from bot.jobs.follow import Follower, request_for
from bot.jobs.leases import SharedSubmits
from bot.jobs.messages import Messages
from bot.jobs.ports import Alarms, JobConfig, PictureHost
from bot.jobs.queue import JobQueue
from bot.jobs.results import Results
from bot.media.hosting import MediaError
from bot.runtime import logcontext
from bot.store import Store

log = logging.getLogger(__name__)


class Runner:
    def __init__(
        self,
        store: Store,
        client: ImagineClient,
        messages: Messages,
        queue: JobQueue,
        results: Results,
        follower: Follower,
        config: JobConfig,
        pictures: PictureHost | None,
        alerts: Alarms | None = None,
        submits: SharedSubmits | None = None,
    ) -> None:
        self._store = store
        self._submits = submits  # the account's slots and pace across replicas (shared database)
        self._alerts = alerts
        self._client = client
        self._messages = messages
        self._queue = queue
        self._results = results
        self._follower = follower
        self._config = config
        self._pictures = pictures
        self._retried_5xx: set[int] = set()  # jobs whose one retry after a 5xx is spent

    async def run(self, job: Job) -> None:
        token = logcontext.begin(job_id=job.id, chat_id=job.chat_id, task_id=job.task_id, trace_id=job.trace_id)
        try:
            await self._run(job)
        finally:
            logcontext.end(token)

    async def _run(self, job: Job) -> None:
        if job.task_id:
            await self._follower.follow(job)
            return
        if job.state is JobState.SUBMITTING:  # resumed: sent before a restart, no task id came back
            await self._follower.locate(job)
            return
        if job.upstream_prompt is None and job.sources:
            try:
                job = await self._host_pictures(job)
            except MediaError as exc:
                await self._results.fail(job, Failure(exc.msg, retryable=exc.retryable, reason="picture"))
                return
        if job.translate and job.upstream_prompt and needs_translation(split_prompt(job.upstream_prompt)[1]):
            job = await self._translated(job)  # the words (--parameters may hold CJK: `--no 狗`)
        changes = {"attempts": job.attempts + 1, "started_at": self._config.clock(), "trace_id": None}
        if not await self._claim(job.id, changes):
            log.info("job %s was cancelled before its submit", job.id)
            return
        job = replace(job, state=JobState.SUBMITTING, **changes)  # type: ignore[arg-type]
        log.info("job %s: submitting %s (attempt %d) from replica %s", job.id, job.action, job.attempts, self._store.owner)
        self._messages.update(JobView(job))
        retried = job.id in self._retried_5xx  # marked only while a job waits for that one retry
        self._retried_5xx.discard(job.id)
        try:
            async with asyncio.timeout(self._follower.remaining(job)):
                if self._config.callback_base:
                    await self._submit_with_callback(job)
                else:
                    await self._stream(job)
        except RateLimited as exc:
            log.info("job %s: upstream busy: %s", job.id, upstream_detail(exc))
            await self._retry_later(job, exc.retry_after)
        except (Unavailable, NotSent) as exc:  # AceData is down, or unreachable: the operator may hear of it
            self._upstream(ok=False)
            await self._unavailable(job, exc, retried=retried)
        except ConnectionLost as exc:  # the answer broke off; the task may be running upstream
            await self._lost(job, exc)
        except ImagineError as exc:
            if isinstance(exc, TaskFailed) and exc.busy:  # refused for the account's concurrency: a 429
                log.info("job %s: upstream busy: %s", job.id, upstream_detail(exc))
                await self._retry_later(job, None)
                return
            await self._results.fail(job, explain(exc, job.links), cause=exc)
        except TimeoutError:
            await self._results.fail(job, DEADLINE)

    async def _claim(self, job_id: int, changes: dict[str, Any]) -> bool:
        if self._submits is not None:
            return await self._submits.claim(job_id, changes)
        await self._queue.gate()
        return await self._store.claim_for_submit(job_id, **changes)

    def _upstream(self, *, ok: bool) -> None:
        if self._alerts is not None:
            (self._alerts.upstream_ok if ok else self._alerts.upstream_failed)()

    async def _unavailable(self, job: Job, exc: Unavailable | NotSent, *, retried: bool) -> None:
        if isinstance(exc, Unavailable) and not retried:  # once per job, 429s aside
            self._retried_5xx.add(job.id)
            log.warning("job %s: upstream unavailable (%s); retrying once", job.id, upstream_detail(exc))
            await self._retry_later(job, self._config.unavailable_backoff)
        else:  # nothing reached upstream when NotSent: failing (with Retry) cannot double-charge
            await self._results.fail(job, explain(exc, job.links), cause=exc)

    async def _lost(self, job: Job, exc: ConnectionLost) -> None:
        """The answer broke off: follow the task if its id is known, else look for it upstream.
        Runs outside the submit's timeout: following and looking have their own deadline."""
        current = await self._store.get_job(job.id) or job  # what the stream learnt on the way
        task_id = current.task_id or exc.task_id
        trace_id = current.trace_id or exc.trace_id
        if task_id is None:
            log.warning("job %s: the answer broke off before naming its task (%s, trace_id %s); looking "
                        "for it upstream", job.id, exc, trace_id)  # fmt: skip
            await self._follower.locate(await self._results.save(current, trace_id=trace_id))
            return
        log.info("job %s: stream lost (%s); following task %s", job.id, exc, task_id)
        if current.task_id is None:
            current = await self._results.save(current, task_id=task_id, trace_id=trace_id, state=JobState.RUNNING)
        await self._follower.follow(current)

    async def _stream(self, job: Job) -> None:
        """Submit with a live ndjson stream (silent until Midjourney starts drawing)."""
        async with contextlib.aclosing(self._client.stream(request_for(job, self._config))) as events:
            async for event in events:
                if isinstance(event, Accepted):
                    self._upstream(ok=True)
                    if event.trace_id:
                        job = await self._results.save(job, trace_id=event.trace_id)
                        logcontext.bind(trace_id=event.trace_id)
                    continue
                if job.task_id is None and event.task_id:
                    logcontext.bind(task_id=event.task_id)
                job = await self._results.progress(job, event)
                if event.is_final:
                    await self._results.complete(job, event)
                    return

    async def _submit_with_callback(self, job: Job) -> None:
        """Callback mode: AceData POSTs progress and the result to a per-job secret URL."""
        secret = secrets.token_urlsafe(24)
        job = await self._results.save(job, callback_secret=secret)
        inbox = self._follower.inbox(job.id)
        request = request_for(job, self._config).model_copy(update={"callback_url": f"{self._config.callback_base}/{secret}"})

        async def accepted(event: Accepted) -> None:
            nonlocal job
            self._upstream(ok=True)
            if event.trace_id:
                job = await self._results.save(job, trace_id=event.trace_id)

        try:
            submitted = await self._client.submit(request, progress=True, on_accepted=accepted)
        except ConnectionLost:
            raise  # callbacks that came meanwhile stay in the inbox: looking for the task reads them
        except BaseException:
            self._follower.close_inbox(job.id)
            raise
        job = await self._results.save(
            job, task_id=submitted.task_id, trace_id=submitted.trace_id or job.trace_id, state=JobState.RUNNING
        )
        await self._follower.follow(job, inbox)

    async def _translated(self, job: Job) -> Job:
        """The prompt's words in English, so that people can read what Midjourney received; image
        links and --parameters stay as typed. Kept with the job before its submit (a restart sends
        the same). If translating fails, the prompt goes as typed with `translation: true`."""
        assert job.upstream_prompt is not None
        urls, words, params = split_prompt(job.upstream_prompt)
        try:
            english = clean_text(await self._client.translate(words)) if words else ""
        except ImagineError as exc:
            log.warning("job %s: could not translate its prompt, sending it with translation: true: %s",
                        job.id, upstream_detail(exc))  # fmt: skip
            return job
        if not english or needs_translation(english):
            return job
        return await self._results.save(job, upstream_prompt=" ".join(p for p in (urls, english, params) if p))

    async def _host_pictures(self, job: Job) -> Job:
        """Public URLs for the job's pictures, hosted once; the prompt sent is `urls… text`."""
        if self._pictures is None:
            raise MediaError("media.unsupported")
        host = self._pictures
        urls = await asyncio.gather(*(host.url_for(p) for p in job.sources))
        return await self._results.save(job, upstream_prompt=" ".join([*urls, job.prompt]).strip())

    async def _retry_later(self, job: Job, retry_after: float | None) -> None:
        """Upstream is busy: back off (with jitter) while the user sees the job as queued."""
        if job.attempts > self._config.busy_retries:
            await self._results.fail(job, BUSY_FAILURE)
            return
        delay = retry_after or self._config.busy_backoff * 2 ** max(job.attempts - 1, 0)
        delay = min(delay, 120.0) * random.uniform(1.0, 1.3)
        log.info("job %s: upstream busy, retrying in %.1f s", job.id, delay)
        job = await self._results.save(job, state=JobState.QUEUED, task_id=None)  # a task refused as busy is dead
        self._messages.update(JobView(job))  # waiting to start again (and cancellable)
        self._queue.put_later(job, delay)

"""Jobs whose request is upstream: followed by callback or by polling the tasks API, never resent.

`follow` waits for a known task until the job's deadline. `locate` looks for a task whose id
never came back (the answer dropped during Midjourney's silent queue, or the bot died meanwhile):
by trace id, among recent tasks by request and time, or from a callback to the job's secret URL;
only at the deadline is the job "interrupted", with a Retry button.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.domain import Job, JobState, JobView
from bot.core.prompt import needs_translation
from bot.imagine import ImagineClient, ImagineError, ImagineRequest, ImagineResult, TaskRecord
from bot.jobs.failures import DEADLINE, UNCONFIRMED, upstream_detail
from bot.jobs.messages import Messages
from bot.jobs.ports import JobConfig
from bot.jobs.results import Results
from bot.jobs.tracking import TaskPoller, find_task
from bot.runtime import logcontext
from bot.store import Store

log = logging.getLogger(__name__)


def request_for(job: Job, config: JobConfig) -> ImagineRequest:
    """The imagine request a job sends (and by which a lost one is recognised upstream). A prompt
    in Chinese (or Japanese, Korean) is sent with `translation: true`, unless its owner turned
    translation off in /settings."""
    translation = True if job.translate and job.upstream_prompt and needs_translation(job.upstream_prompt) else None
    if job.action == "generate":
        return ImagineRequest(prompt=job.upstream_prompt, mode=job.mode, timeout=config.upstream_timeout,
                              translation=translation)  # fmt: skip
    return ImagineRequest(
        action=job.action, image_id=job.parent_image_id, prompt=job.upstream_prompt, mask=job.mask,
        mode=job.mode, timeout=config.upstream_timeout, translation=translation,
    )  # fmt: skip


class Follower:
    def __init__(
        self,
        store: Store,
        client: ImagineClient,
        messages: Messages,
        results: Results,
        poller: TaskPoller,
        config: JobConfig,
    ) -> None:
        self._store = store
        self._client = client
        self._messages = messages
        self._results = results
        self._poller = poller
        self._config = config
        self._inbox: dict[int, asyncio.Queue[ImagineResult]] = {}
        self._claim_lock = asyncio.Lock()

    def inbox(self, job_id: int) -> asyncio.Queue[ImagineResult]:
        """Where callbacks for this job land while it is followed (made on first use)."""
        return self._inbox.setdefault(job_id, asyncio.Queue())

    def close_inbox(self, job_id: int) -> None:
        self._inbox.pop(job_id, None)

    def push(self, job_id: int, result: ImagineResult) -> None:
        """A callback's result; dropped when nobody follows the job right now (a poll catches up)."""
        inbox = self._inbox.get(job_id)
        if inbox is not None:
            inbox.put_nowait(result)

    def remaining(self, job: Job) -> float:
        now = self._config.clock()
        started = job.started_at or job.created_at or now
        return started + self._config.deadline - now

    async def follow(self, job: Job, inbox: asyncio.Queue[ImagineResult] | None = None) -> None:
        """Wait for a known task to finish: from callbacks when they come, else by polling the
        tasks API with backoff, until the job's deadline. Without `inbox` (a resumed or broken-
        stream job) the first thing it does is ask the tasks API."""
        assert job.task_id is not None
        logcontext.bind(job_id=job.id, chat_id=job.chat_id, task_id=job.task_id, trace_id=job.trace_id)
        poll_now = inbox is None
        inbox = inbox or self.inbox(job.id)
        # Callbacks come: poll now and then only (with replicas a callback may reach another replica
        # than this job's, so the tasks API is asked as often as without callbacks).
        scale = 4.0 if self._config.callback_base and job.callback_secret and not self._store.shared else 1.0
        delay = self._config.poll_interval * scale
        current: Job | None = job
        try:
            while current is not None:
                if poll_now:
                    polled = await self._poll(current)
                    delay = min(delay * 1.5, self._config.poll_interval_max * scale)
                    if polled is not None and (current := await self._results.absorb(current, polled)) is None:
                        return
                remaining = self.remaining(current)
                if remaining <= 0:
                    await self._results.fail(current, DEADLINE)
                    return
                try:
                    pushed = await asyncio.wait_for(inbox.get(), timeout=min(delay, remaining))
                except TimeoutError:
                    poll_now = True
                    continue
                current = await self._results.absorb(current, pushed)
                poll_now = False
        finally:
            self.close_inbox(job.id)

    async def locate(self, job: Job) -> None:
        """Look for the task of a request that went out without its id coming back, until the
        job's deadline; follow it once found, else end the job "interrupted" with a Retry."""
        self._messages.update(JobView(job))
        inbox = self.inbox(job.id)
        delay = self._config.poll_interval
        try:
            while True:
                record = await self._find(job)
                if record is not None:
                    log.info("job %s: found its task %s upstream", job.id, record.id)
                    await self._adopt(job, record.id, record.outcome(), inbox)
                    return
                remaining = self.remaining(job)
                if remaining <= 0:
                    await self._results.fail(job, UNCONFIRMED, JobState.INTERRUPTED)
                    return
                try:
                    pushed = await asyncio.wait_for(inbox.get(), timeout=min(delay, remaining))
                except TimeoutError:
                    delay = min(delay * 1.5, self._config.poll_interval_max)
                    continue
                if pushed.task_id:  # a callback to this job's secret URL names its task
                    await self._adopt(job, pushed.task_id, pushed, inbox)
                    return
        finally:
            self.close_inbox(job.id)

    async def _adopt(
        self, job: Job, task_id: str, latest: ImagineResult | None, inbox: asyncio.Queue[ImagineResult]
    ) -> None:
        job = await self._results.save(job, task_id=task_id, state=JobState.RUNNING)
        if latest is not None:
            after = await self._results.absorb(job, latest)
            if after is None:
                return
            job = after
        await self.follow(job, inbox)

    async def _find(self, job: Job) -> TaskRecord | None:
        async def claimed(task_id: str) -> bool:
            return await self._store.task_claimed(task_id, job.id)

        async with self._claim_lock:  # two identical lost requests never take the same task
            try:
                return await find_task(
                    self._client, request_for(job, self._config), sent_at=job.started_at or job.created_at,
                    trace_id=job.trace_id, claimed=claimed,
                )  # fmt: skip
            except ImagineError as exc:
                log.warning("job %s: looking for its task failed: %s", job.id, upstream_detail(exc))
                return None

    async def _poll(self, job: Job) -> ImagineResult | None:
        assert job.task_id is not None
        record = await self._poller.poll(job.task_id)
        return record.outcome() if record is not None else None

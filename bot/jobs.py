"""Job lifecycle: queue, upstream concurrency, live progress, results, button presses, resume.

Handlers call `imagine()` / `press()`, which only record the job and return; owned background tasks
do the rest. The chat is reached through the `Notifier` protocol, so nothing here imports Telegram.

Life of a job: QUEUED → (message sent) → SUBMITTING → RUNNING (task id known) → DONE | FAILED.
A job whose task id is known is never submitted again: after a dropped stream or a restart it is
followed through the tasks API until it finishes. A job that was sent but whose task id never came
back (the answer dropped during Midjourney's silent queue, or the bot died meanwhile) is looked for
upstream until its deadline, and only then offered a Retry: it is never resent behind the user's back.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import re
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pydantic import ValidationError

from bot.domain import Button, Image, Job, JobState, JobView, Picture, Requester
from bot.failures import DEADLINE, INTERNAL, UNCONFIRMED, Failure, explain, for_code, upstream_detail
from bot.imagine import (
    Accepted,
    ConnectionLost,
    ImagineClient,
    ImagineError,
    ImagineRequest,
    ImagineResult,
    NotSent,
    RateLimited,
    TaskRecord,
    Unavailable,
)
from bot.media import MediaError
from bot.prompt import Prompt
from bot.store import Store
from bot.tracking import TaskPoller, find_task

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """How jobs reach the chat. Implemented by `bot.notifier.TelegramNotifier`."""

    async def create(self, view: JobView) -> int: ...

    def update(self, view: JobView) -> None: ...

    async def finish(self, view: JobView) -> int: ...

    def show_buttons(self, image: Image, buttons: tuple[Button, ...]) -> None: ...


class PictureHost(Protocol):
    """Turns a user's picture into a public URL (implemented by `bot.media.MediaService`)."""

    async def url_for(self, picture: Picture) -> str: ...


@dataclass(frozen=True)
class JobConfig:
    concurrency: int = 5
    submit_interval: float = 1.0
    deadline: float = 600.0
    poll_interval: float = 3.0
    poll_interval_max: float = 15.0
    busy_retries: int = 6
    busy_backoff: float = 5.0
    position_refresh: float = 1.0
    callback_base: str | None = None  # {PUBLIC_URL}/acedata when AceData callbacks are on
    per_user: int = 0  # jobs one user may have in progress at once (0: no limit)

    @property
    def upstream_timeout(self) -> int:
        """The `timeout` sent upstream: it gives up a little before our own deadline, so the user
        reads upstream's clean "took too long" rather than an abandoned request."""
        return max(1, int(self.deadline * 0.9))


REGION_ACTION = "variation_region"
RETRY_ACTION = "retry"


class Pressed(enum.Enum):
    STARTED = "started"
    PICK_REGION = "pick_region"  # Vary (Region): the caller opens a picker instead
    BUSY = "busy"  # that button's job is still running
    LIMIT = "limit"  # the user has too many jobs in progress
    UNKNOWN = "unknown"  # not a key we issued (or from another chat)


@dataclass(frozen=True)
class PressOutcome:
    result: Pressed
    button: Button | None = None


class CallbackAnswer(enum.IntEnum):
    """The HTTP status a POST to a job's callback URL gets."""

    OK = 200
    UNREADABLE = 400  # the job exists but the body is not a result: logged with its trace id
    UNKNOWN = 404  # no such secret, a finished job, or another task's result


class JobService:
    def __init__(
        self,
        store: Store,
        client: ImagineClient,
        notifier: Notifier,
        config: JobConfig,
        pictures: PictureHost | None = None,
    ) -> None:
        self._store = store
        self._pictures = pictures
        self._client = client
        self._notifier = notifier
        self._config = config
        self._waiting: OrderedDict[int, Job] = OrderedDict()
        self._idle: deque[asyncio.Future[None]] = deque()  # one per idle worker
        self._running = 0
        self._submit_lock = asyncio.Lock()
        self._next_submit = 0.0
        self._admit_lock = asyncio.Lock()
        self._positions_dirty = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inbox: dict[int, asyncio.Queue[ImagineResult]] = {}
        self._poller = TaskPoller(client, self._spawn)
        self._claim_lock = asyncio.Lock()

    # lifecycle

    async def start(self) -> None:
        """Resume what the last run left unfinished, then start the workers."""
        await self._resume()
        for n in range(self._config.concurrency):
            self._spawn(self._worker(), name=f"job-worker-{n}")
        self._spawn(self._refresh_positions(), name="queue-positions")

    async def stop(self) -> None:
        """Stop all work; state is in SQLite, so the next start resumes it."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._reap)

    def _reap(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    # entry points for handlers

    async def _over_limit(self, user_id: int) -> bool:
        """True when this user already has `per_user` jobs in progress (one user cannot starve
        everybody else's queue). Call with `_admit_lock` held, so check and insert are atomic."""
        limit = self._config.per_user
        return bool(limit) and await self._store.active_jobs_of(user_id) >= limit

    async def imagine(
        self,
        *,
        chat_id: int,
        chat_type: str,
        requester: Requester,
        reply_to: int | None,
        prompt: Prompt,
        pictures: tuple[Picture, ...] = (),
    ) -> Job | None:
        """Queue a generation; `pictures` (and URLs typed first) make an image prompt or a blend.
        None when the user already has too many jobs in progress."""
        sources = pictures + tuple(Picture(url=url) for url in prompt.image_urls)
        async with self._admit_lock:
            if await self._over_limit(requester.user_id):
                return None
            job = await self._store.create_job(
                Job(
                    id=0, chat_id=chat_id, chat_type=chat_type, requester=requester, prompt=prompt.text,
                    upstream_prompt=None if sources else prompt.full, mode=prompt.mode, reply_to=reply_to,
                    sources=sources,
                )
            )  # fmt: skip
        self._spawn(self._announce(job), name=f"announce-{job.id}")
        return job

    async def press(self, key: str, *, chat_id: int, chat_type: str, requester: Requester) -> PressOutcome:
        """A tap on a result's button: start that action unless it is already running."""
        async with self._admit_lock:
            button = await self._store.get_button(key)
            if button is None or button.chat_id != chat_id:
                return PressOutcome(Pressed.UNKNOWN)
            if button.action == REGION_ACTION:
                return PressOutcome(Pressed.PICK_REGION, button)
            if button.action == RETRY_ACTION:
                return await self._retry(button)
            if await self._store.active_job_for_button(key) is not None:
                return PressOutcome(Pressed.BUSY, button)
            if await self._over_limit(requester.user_id):
                return PressOutcome(Pressed.LIMIT, button)
            image = await self._store.get_image(button.image_id)
            if image is None:
                return PressOutcome(Pressed.UNKNOWN)
            await self.start_action(
                image, button.action, chat_id=chat_id, chat_type=chat_type, requester=requester,
                reply_to=button.message_id, button_key=key,
            )  # fmt: skip
            await self._store.mark_pressed(key)
        self._notifier.show_buttons(image, await self._store.buttons_for_image(image.image_id))
        return PressOutcome(Pressed.STARTED, button)

    async def _retry(self, button: Button) -> PressOutcome:
        """Retry on a failed job: the same request again, on the same message."""
        job = await self._store.get_job(button.job_id or 0)
        if job is None:
            return PressOutcome(Pressed.UNKNOWN)
        if job.state not in {JobState.FAILED, JobState.INTERRUPTED}:
            return PressOutcome(Pressed.BUSY, button)
        job = await self._set(
            job, state=JobState.QUEUED, error=None, attempts=0, task_id=None, callback_secret=None,
            progress=0, preview_url=None, started_at=None,
        )  # fmt: skip
        self._notifier.update(JobView(job, position=len(self._waiting) + 1))
        self._enqueue(job)
        return PressOutcome(Pressed.STARTED, button)

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
    ) -> Job:
        """Queue `action` on a finished image (a button, or a submitted region picker)."""
        job = await self._store.create_job(
            Job(
                id=0, chat_id=chat_id, chat_type=chat_type, requester=requester, prompt=prompt or image.prompt,
                upstream_prompt=prompt, action=action, parent_image_id=image.image_id, reply_to=reply_to,
                button_key=button_key, mask=mask,
            )
        )  # fmt: skip
        self._spawn(self._announce(job), name=f"announce-{job.id}")
        return job

    # queue

    async def _announce(self, job: Job) -> None:
        """Send the job's message (its one reply), then queue it."""
        busy = self._running + len(self._waiting) >= self._config.concurrency
        position = len(self._waiting) + 1 if busy else None
        try:
            message_id = await self._notifier.create(JobView(job, position=position))
        except Exception:
            log.exception("could not send the first message of job %s; dropping it", job.id)
            await self._store.update_job(job.id, state=JobState.FAILED, error="could not send a message")
            return
        await self._store.update_job(job.id, message_id=message_id)
        self._enqueue(replace(job, message_id=message_id))

    def _enqueue(self, job: Job, *, first: bool = False) -> None:
        self._waiting[job.id] = job
        if first:
            self._waiting.move_to_end(job.id, last=False)
        self._wake_one()
        self._positions_dirty = True

    def _wake_one(self) -> None:
        """Hand the new job to one idle worker. (An Event wakes every idle worker, up to
        ACEDATA_MAX_CONCURRENCY of them, for each queued job: a thundering herd of task wake-ups.)"""
        while self._idle:
            waiter = self._idle.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _take(self) -> Job:
        while not self._waiting:
            waiter = asyncio.get_running_loop().create_future()
            self._idle.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # woken for a job it will not take: pass it on
                raise
        _, job = self._waiting.popitem(last=False)
        self._positions_dirty = True
        return job

    async def _worker(self) -> None:
        while True:
            job = await self._take()
            self._running += 1
            try:
                await self._run(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s crashed", job.id)
                await self._fail(job, INTERNAL)
            finally:
                self._running -= 1

    async def _refresh_positions(self) -> None:
        """Queued jobs show their place; refreshed every few seconds, not on every change."""
        while True:
            await asyncio.sleep(self._config.position_refresh)
            if not self._positions_dirty:
                continue
            self._positions_dirty = False
            for position, job in enumerate(list(self._waiting.values()), start=1):
                self._notifier.update(JobView(job, position=position))

    async def _submit_gate(self) -> None:
        """At most one upstream submit per `submit_interval`."""
        async with self._submit_lock:
            delay = self._next_submit - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next_submit = time.monotonic() + self._config.submit_interval

    # running

    async def _run(self, job: Job) -> None:
        if job.task_id:
            await self._follow(job)
            return
        if job.state is JobState.SUBMITTING:  # resumed: sent before a restart, no task id came back
            await self._locate(job)
            return
        if job.upstream_prompt is None and job.sources:
            try:
                job = await self._host_pictures(job)
            except MediaError as exc:
                await self._fail(job, Failure(str(exc)))
                return
        await self._submit_gate()
        job = await self._set(
            job, state=JobState.SUBMITTING, attempts=job.attempts + 1, started_at=time.time(), trace_id=None
        )
        self._notifier.update(JobView(job))
        try:
            async with asyncio.timeout(self._remaining(job)):
                if self._config.callback_base:
                    await self._submit_with_callback(job)
                else:
                    await self._stream(job)
        except RateLimited as exc:
            log.info("job %s: upstream busy: %s", job.id, upstream_detail(exc))
            await self._retry_later(job, exc.retry_after)
        except Unavailable as exc:
            if job.attempts < 2:
                log.warning("job %s: upstream unavailable (%s); retrying once", job.id, upstream_detail(exc))
                await self._retry_later(job, 2.0)
            else:
                await self._fail(job, explain(exc), cause=exc)
        except NotSent as exc:  # nothing reached upstream: failing (with Retry) cannot double-charge
            await self._fail(job, explain(exc), cause=exc)
        except ConnectionLost as exc:  # the answer broke off; the task may be running upstream
            await self._lost(job, exc)
        except ImagineError as exc:
            await self._fail(job, explain(exc), cause=exc)
        except TimeoutError:
            await self._fail(job, DEADLINE)

    async def _lost(self, job: Job, exc: ConnectionLost) -> None:
        """The answer broke off: follow the task if its id is known, else look for it upstream.
        Never submits again. Runs outside the submit's timeout: both have their own deadline."""
        current = await self._store.get_job(job.id) or job  # what the stream learnt on the way
        task_id = current.task_id or exc.task_id
        trace_id = current.trace_id or exc.trace_id
        if task_id is None:
            log.warning("job %s: the answer broke off before naming its task (%s, trace_id %s); looking "
                        "for it upstream", job.id, exc, trace_id)  # fmt: skip
            await self._locate(await self._set(current, trace_id=trace_id))
            return
        log.info("job %s: stream lost (%s); following task %s", job.id, exc, task_id)
        if current.task_id is None:
            current = await self._set(current, task_id=task_id, trace_id=trace_id, state=JobState.RUNNING)
        await self._follow(current)

    async def _stream(self, job: Job) -> None:
        """Submit with a live ndjson stream (silent until Midjourney starts drawing)."""
        async with contextlib.aclosing(self._client.stream(self._request(job))) as events:
            async for event in events:
                if isinstance(event, Accepted):
                    if event.trace_id:
                        job = await self._set(job, trace_id=event.trace_id)
                    continue
                job = await self._progress(job, event)
                if event.is_final:
                    await self._complete(job, event)
                    return

    async def _submit_with_callback(self, job: Job) -> None:
        """Callback mode: AceData POSTs progress and the result to a per-job secret URL."""
        secret = secrets.token_urlsafe(24)
        job = await self._set(job, callback_secret=secret)
        inbox = self._inbox.setdefault(job.id, asyncio.Queue())
        request = self._request(job).model_copy(
            update={"callback_url": f"{self._config.callback_base}/{secret}"}
        )

        async def accepted(event: Accepted) -> None:
            nonlocal job
            if event.trace_id:
                job = await self._set(job, trace_id=event.trace_id)

        try:
            submitted = await self._client.submit(request, progress=True, on_accepted=accepted)
        except BaseException:
            self._inbox.pop(job.id, None)
            raise
        job = await self._set(
            job, task_id=submitted.task_id, trace_id=submitted.trace_id or job.trace_id, state=JobState.RUNNING
        )
        await self._follow(job, inbox)

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
        inbox = self._inbox.get(job.id)
        if inbox is not None:
            inbox.put_nowait(result)
        return CallbackAnswer.OK

    async def _host_pictures(self, job: Job) -> Job:
        """Public URLs for the job's pictures, hosted once; the prompt sent is `urls… text`."""
        if self._pictures is None:
            raise MediaError("Pictures are not supported by this bot's configuration.")
        host = self._pictures
        urls = await asyncio.gather(*(host.url_for(p) for p in job.sources))
        return await self._set(job, upstream_prompt=" ".join([*urls, job.prompt]).strip())

    async def _follow(self, job: Job, inbox: asyncio.Queue[ImagineResult] | None = None) -> None:
        """Wait for a known task to finish: from callbacks when they come, else by polling the
        tasks API with backoff, until the job's deadline. Never submits again. Without `inbox`
        (a resumed or broken-stream job) the first thing it does is ask the tasks API."""
        assert job.task_id is not None
        poll_now = inbox is None
        inbox = inbox or self._inbox.setdefault(job.id, asyncio.Queue())
        scale = 4.0 if self._config.callback_base and job.callback_secret else 1.0
        delay = self._config.poll_interval * scale
        current: Job | None = job
        try:
            while current is not None:
                if poll_now:
                    polled = await self._poll(current)
                    delay = min(delay * 1.5, self._config.poll_interval_max * scale)
                    if polled is not None and (current := await self._absorb(current, polled)) is None:
                        return
                remaining = self._remaining(current)
                if remaining <= 0:
                    await self._fail(current, DEADLINE)
                    return
                try:
                    pushed = await asyncio.wait_for(inbox.get(), timeout=min(delay, remaining))
                except TimeoutError:
                    poll_now = True
                    continue
                current = await self._absorb(current, pushed)
                poll_now = False
        finally:
            self._inbox.pop(job.id, None)

    async def _locate(self, job: Job) -> None:
        """The request went out but no task id came back. Look for the task (by trace id, among
        the account's recent tasks, or from a callback to this job's secret URL) until the job's
        deadline; follow it once found. Only then is the job "interrupted", with a Retry button."""
        self._notifier.update(JobView(job))
        inbox = self._inbox.setdefault(job.id, asyncio.Queue())
        delay = self._config.poll_interval
        try:
            while True:
                record = await self._find(job)
                if record is not None:
                    log.info("job %s: found its task %s upstream", job.id, record.id)
                    job = await self._set(job, task_id=record.id, state=JobState.RUNNING)
                    outcome = record.outcome()
                    if outcome is not None:
                        after = await self._absorb(job, outcome)
                        if after is None:
                            return
                        job = after
                    await self._follow(job, inbox)
                    return
                remaining = self._remaining(job)
                if remaining <= 0:
                    await self._fail(job, UNCONFIRMED, JobState.INTERRUPTED)
                    return
                try:
                    pushed = await asyncio.wait_for(inbox.get(), timeout=min(delay, remaining))
                except TimeoutError:
                    delay = min(delay * 1.5, self._config.poll_interval_max)
                    continue
                if pushed.task_id:  # a callback to this job's secret URL names its task
                    job = await self._set(job, task_id=pushed.task_id, state=JobState.RUNNING)
                    if (after := await self._absorb(job, pushed)) is not None:
                        await self._follow(after, inbox)
                    return
        finally:
            self._inbox.pop(job.id, None)

    async def _find(self, job: Job) -> TaskRecord | None:
        async def claimed(task_id: str) -> bool:
            return await self._store.task_claimed(task_id, job.id)

        async with self._claim_lock:  # two identical lost requests never take the same task
            try:
                return await find_task(
                    self._client, self._request(job), sent_at=job.started_at or job.created_at,
                    trace_id=job.trace_id, claimed=claimed,
                )  # fmt: skip
            except ImagineError as exc:
                log.warning("job %s: looking for its task failed: %s", job.id, upstream_detail(exc))
                return None

    async def _absorb(self, job: Job, result: ImagineResult) -> Job | None:
        """Apply one result of a followed task; None once the job has ended."""
        if result.failed:
            error = result.error
            code, message = (error.code, error.message) if error else ("unknown", "")
            await self._fail(
                job, for_code(code, message), detail=f"task {code}: {message} (trace_id {result.trace_id})"
            )
            return None
        if result.is_final:
            await self._complete(job, result)
            return None
        return await self._progress(job, result)

    async def _poll(self, job: Job) -> ImagineResult | None:
        assert job.task_id is not None
        record = await self._poller.poll(job.task_id)
        return record.outcome() if record is not None else None

    def _remaining(self, job: Job) -> float:
        started = job.started_at or job.created_at or time.time()
        return started + self._config.deadline - time.time()

    def _request(self, job: Job) -> ImagineRequest:
        timeout = self._config.upstream_timeout
        if job.action == "generate":
            return ImagineRequest(prompt=job.upstream_prompt, mode=job.mode, timeout=timeout)
        return ImagineRequest(
            action=job.action,
            image_id=job.parent_image_id,
            prompt=job.upstream_prompt,
            mask=job.mask,
            mode=job.mode,
            timeout=timeout,
        )

    async def _progress(self, job: Job, result: ImagineResult) -> Job:
        changes: dict[str, Any] = {}
        if result.task_id and result.task_id != job.task_id:
            changes["task_id"] = result.task_id
        if job.state is not JobState.RUNNING:
            changes["state"] = JobState.RUNNING
        if not result.is_final:
            if result.progress != job.progress:
                changes["progress"] = max(0, min(result.progress, 99))
            if result.image_url and result.image_url != job.preview_url:
                changes["preview_url"] = result.image_url
        if not changes:
            return job
        job = await self._set(job, **changes)
        if not result.is_final:
            self._notifier.update(JobView(job))
        return job

    async def _complete(self, job: Job, result: ImagineResult) -> None:
        """Keep the image and its button keys, then deliver it without holding an upstream slot."""
        assert result.image_id and result.image_url
        image = Image(
            image_id=result.image_id, task_id=result.task_id or job.task_id, image_url=result.image_url,
            raw_image_url=result.raw_image_url, image_width=result.image_width, image_height=result.image_height,
            raw_image_width=result.raw_image_width, raw_image_height=result.raw_image_height,
            actions=tuple(result.actions), is_grid=result.is_grid, prompt=job.title, chat_id=job.chat_id,
            message_id=job.message_id,
        )  # fmt: skip
        await self._store.save_image(image, job.id)
        assert job.message_id is not None
        actions = image.actions
        if not image.is_grid and REGION_ACTION not in actions:
            actions += (REGION_ACTION,)  # not listed upstream, but single images take it
        buttons = await self._store.create_buttons(
            image.image_id, actions, chat_id=job.chat_id, message_id=job.message_id,
            owner_id=job.requester.user_id,
        )  # fmt: skip
        done = replace(
            job, state=JobState.DONE, progress=100, preview_url=None, result_image_id=image.image_id
        )
        self._spawn(self._deliver(done, image, buttons), name=f"deliver-{job.id}")

    async def _deliver(self, job: Job, image: Image, buttons: tuple[Button, ...]) -> None:
        message_id: int | None = job.message_id
        try:
            message_id = await self._notifier.finish(JobView(job, image, buttons))
        except Exception:
            log.exception("job %s: could not show the result in chat %s", job.id, job.chat_id)
        if message_id is not None and message_id != job.message_id:
            await self._store.move_result(image.image_id, message_id)
        await self._set(
            job, state=JobState.DONE, progress=100, result_image_id=image.image_id, message_id=message_id,
            finished_at=time.time(),
        )  # fmt: skip

    async def _retry_later(self, job: Job, retry_after: float | None) -> None:
        """Upstream is busy: back off (with jitter) while the user sees the job as queued."""
        if job.attempts > self._config.busy_retries:
            await self._fail(job, explain(RateLimited(429, "too_many_requests", "busy")))
            return
        delay = retry_after or self._config.busy_backoff * 2 ** max(job.attempts - 1, 0)
        delay = min(delay, 120.0) * random.uniform(1.0, 1.3)
        log.info("job %s: upstream busy, retrying in %.1f s", job.id, delay)
        job = await self._set(job, state=JobState.QUEUED)
        self._notifier.update(JobView(job, position=len(self._waiting) + 1))
        self._spawn(self._enqueue_after(job, delay), name=f"retry-{job.id}")

    async def _enqueue_after(self, job: Job, delay: float) -> None:
        await asyncio.sleep(delay)
        self._enqueue(job)

    async def _fail(
        self,
        job: Job,
        failure: Failure,
        state: JobState = JobState.FAILED,
        *,
        cause: ImagineError | None = None,
        detail: str | None = None,
    ) -> None:
        """End the job with an explanation (and a Retry button when trying again may help).
        The operator's log gets upstream's own words and trace id; the user never does."""
        detail = detail or (upstream_detail(cause) if cause is not None else None)
        said = f"{failure.text} [{detail}]" if detail else failure.text
        if failure.operator:
            log.error("job %s needs the operator: %s%s", job.id, said, failure.hint)
        else:
            log.info("job %s failed: %s", job.id, said)
        job = await self._set(job, state=state, error=failure.text, finished_at=time.time())
        buttons = (await self._store.retry_button(job),) if failure.retryable and job.message_id else ()
        try:
            await self._notifier.finish(JobView(job, buttons=buttons))
        except Exception:
            log.exception("job %s: could not show the failure", job.id)

    async def _set(self, job: Job, **changes: Any) -> Job:
        await self._store.update_job(job.id, **changes)
        changes.pop("finished_at", None)
        return replace(job, **changes)

    # restart

    async def _resume(self) -> None:
        """Pick up what the last run left: running tasks are asked about in batches first (jobs
        that finished meanwhile end at once), the rest go back in the queue."""
        jobs = await self._store.unfinished_jobs()
        if jobs:
            log.info("resuming %d unfinished jobs", len(jobs))
        known = [job.task_id for job in jobs if job.task_id and job.message_id is not None]
        records = await asyncio.gather(*(self._poller.poll(task_id) for task_id in known))
        outcomes = {
            task_id: record.outcome() for task_id, record in zip(known, records, strict=True) if record
        }
        for job in jobs:
            outcome = outcomes.get(job.task_id or "")
            if job.message_id is None:
                self._spawn(self._announce(job), name=f"announce-{job.id}")
            elif outcome is not None and (outcome.failed or outcome.is_final):
                self._spawn(self._absorb(job, outcome), name=f"resumed-{job.id}")
            elif job.task_id or job.state is JobState.SUBMITTING:
                # Sent before the restart (SUBMITTING: its task id never came back): it may be running,
                # and charged, upstream, so it is followed or looked for, never submitted again.
                self._enqueue(job, first=True)
            else:
                self._enqueue(replace(job, state=JobState.QUEUED))

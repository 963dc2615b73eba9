"""What upstream said, applied to a job: progress, the finished picture with its buttons, or a
failure the user can read (upstream's own words and trace id go to the operator's log)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.core.domain import Button, Image, Job, JobState, JobView
from bot.imagine import ImagineError, ImagineResult
from bot.jobs.failures import Failure, for_code, upstream_detail
from bot.jobs.messages import Messages
from bot.jobs.ports import REGION_ACTION, Alarms, Notifier
from bot.runtime import metrics
from bot.runtime.tasks import TaskSet
from bot.store import Store

log = logging.getLogger(__name__)


class Results:
    def __init__(
        self, store: Store, notifier: Notifier, messages: Messages, tasks: TaskSet, alerts: Alarms | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock  # the wall clock of finished stamps (see JobConfig.clock)
        self._store = store
        self._alerts = alerts
        self._notifier = notifier
        self._messages = messages
        self._tasks = tasks

    async def save(self, job: Job, **changes: Any) -> Job:
        """Persist these changes of the job; the job with them."""
        await self._store.update_job(job.id, **changes)
        changes.pop("finished_at", None)
        changes.pop("reason", None)
        return replace(job, **changes)

    async def absorb(self, job: Job, result: ImagineResult) -> Job | None:
        """Apply one result of a task; None once the job has ended."""
        if result.failed:
            error = result.error
            code, message = (error.code, error.message) if error else ("unknown", "")
            await self.fail(
                job, for_code(code, message, job.links), detail=f"task {code}: {message} (trace_id {result.trace_id})"
            )
            return None
        if result.is_final:
            await self.complete(job, result)
            return None
        return await self.progress(job, result)

    async def progress(self, job: Job, result: ImagineResult) -> Job:
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
        job = await self.save(job, **changes)
        if not result.is_final:
            self._messages.update(JobView(job))
        return job

    async def complete(self, job: Job, result: ImagineResult) -> None:
        """Keep the image and its button keys, then deliver it without holding an upstream slot."""
        assert result.image_id and result.image_url
        job = self._messages.fill(job)  # its first message may still be on its way (see `_deliver`)
        self._messages.ending(job.id)
        image = Image(
            image_id=result.image_id, task_id=result.task_id or job.task_id, image_url=result.image_url,
            raw_image_url=result.raw_image_url, image_width=result.image_width, image_height=result.image_height,
            raw_image_width=result.raw_image_width, raw_image_height=result.raw_image_height,
            actions=tuple(result.actions), is_grid=result.is_grid, prompt=job.title, chat_id=job.chat_id,
            message_id=job.message_id, lang=job.requester.lang,
        )  # fmt: skip
        await self._store.save_image(image, job.id)
        actions = image.actions
        if not image.is_grid and REGION_ACTION not in actions:
            actions += (REGION_ACTION,)  # not listed upstream, but single images take it
        buttons = await self._store.create_buttons(
            image.image_id, actions, chat_id=job.chat_id, message_id=job.message_id or 0,
            owner_id=job.requester.user_id,
        )  # fmt: skip
        done = replace(
            job, state=JobState.DONE, progress=100, preview_url=None, result_image_id=image.image_id
        )
        self._tasks.spawn(self._deliver(done, image, buttons), name=f"deliver-{job.id}")

    async def _deliver(self, job: Job, image: Image, buttons: tuple[Button, ...]) -> None:
        job = self._messages.fill(job)  # the first message may have gone out meanwhile
        message_id: int | None = job.message_id
        try:
            message_id = await self._notifier.finish(JobView(job, image, buttons))
        except Exception:
            log.exception("job %s: could not show the result in chat %s", job.id, job.chat_id)
        shown: dict[str, Any] = {}
        if message_id is not None and message_id != image.message_id:  # stored before the message was known
            await self._store.move_result(image.image_id, message_id)
        if message_id is not None and message_id != job.message_id:
            shown["message_id"] = message_id
        now = self._clock()
        await self.save(job, state=JobState.DONE, progress=100, result_image_id=image.image_id, finished_at=now,
                        **shown)  # fmt: skip
        metrics.job_finished(job_kind(job), "done", seconds=now - job.created_at if job.created_at else None)
        log.info("job %s done", job.id)
        self._messages.forget(job.id)

    async def fail(
        self,
        job: Job,
        failure: Failure,
        state: JobState = JobState.FAILED,
        *,
        cause: ImagineError | None = None,
        detail: str | None = None,
    ) -> None:
        """End the job with an explanation (and a Retry button when trying again may help).
        The operator's log gets upstream's own words and trace id; the user never does. A job its
        owner cancelled meanwhile (e.g. while its pictures were being hosted) stays cancelled."""
        detail = detail or (upstream_detail(cause) if cause is not None else None)
        said = f"{failure.text} [{detail}]" if detail else failure.text
        if failure.operator:
            log.error("job %s needs the operator: %s%s", job.id, said, failure.hint)
            if self._alerts is not None:
                self._alerts.failure(failure)
        else:
            log.info("job %s failed: %s", job.id, said)
        error = failure.said(job.requester.lang)  # kept as the person reads it
        if not await self._store.end_unless_cancelled(job.id, state=state, error=error, reason=failure.reason,
                                                      finished_at=self._clock()):  # fmt: skip
            return
        metrics.job_finished(job_kind(job), state.value, failure.reason)
        job = replace(job, state=state, error=error)
        await self.show_end(job, retry=failure.retryable)

    async def show_end(self, job: Job, *, retry: bool = False) -> None:
        """Show a job that ended without a picture (failed, interrupted, cancelled); a Retry
        button when trying again may help. Its message may move (notify: sent anew)."""
        job = await self._messages.of(job)
        self._messages.forget(job.id)
        buttons = (await self._store.retry_button(job),) if retry and job.message_id else ()
        try:
            message_id = await self._notifier.finish(JobView(job, buttons=buttons))
        except Exception:
            log.exception("job %s: could not show how it ended", job.id)
            return
        if message_id != job.message_id:
            await self._store.move_job_message(job.id, message_id)


def job_kind(job: Job) -> str:
    """The job's kind in the metrics (imagine, blend, upscale, vary, region, …)."""
    return metrics.kind_of(job.action, pictures=len(job.sources))

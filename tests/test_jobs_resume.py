"""Resume after a restart, without servers: QUEUED jobs are submitted, RUNNING ones followed in
batches (never resubmitted), SUBMITTING ones (sent, no task id) looked for upstream, never resent."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

from bot.core.domain import Job, JobState
from bot.jobs.failures import UNCONFIRMED
from bot.runtime import origin
from bot.store import Store
from tests.jobs_kit import ANN, FAST, Upstream, ended, imagine, line, running


async def _stored(store: Store, **fields: object) -> Job:
    """A job as a previous run left it (its message already sent)."""
    job = await store.create_job(Job(id=0, chat_id=1, chat_type="private", requester=ANN, prompt="a fox",
                                     upstream_prompt="a fox", reply_to=9))  # fmt: skip
    await store.update_job(job.id, message_id=600 + job.id, **fields)
    stored = await store.get_job(job.id)
    assert stored is not None
    return stored


async def test_queued_jobs_are_submitted(tmp_path: Path) -> None:
    upstream = Upstream()
    async with running(tmp_path, upstream, start=False) as (service, store, _):
        job = await _stored(store, state=JobState.QUEUED)
        await service.start()
        assert (await ended(store, job.id)).state is JobState.DONE
        assert len(upstream.submits) == 1


async def test_running_jobs_are_followed_in_batches_and_never_resubmitted(tmp_path: Path) -> None:
    upstream = Upstream()
    async with running(tmp_path, upstream, dataclasses.replace(FAST, concurrency=3), start=False) as (
        service, store, _,
    ):  # fmt: skip
        jobs = [
            await _stored(store, state=JobState.RUNNING, task_id=upstream.task({"prompt": "a fox"}),
                          started_at=time.time())
            for _ in range(30)
        ]
        await service.start()
        for job in jobs:
            assert (await ended(store, job.id)).state is JobState.DONE
        assert upstream.submits == []
        assert len(upstream.queries) == math.ceil(30 / 12), "finished tasks: one round of batches"
        assert all(q["action"] == "retrieve_batch" and len(q["ids"]) <= q["limit"] <= 12 for q in upstream.queries)


async def test_a_running_job_still_drawing_is_followed_until_it_ends(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"}, finished=False)
    async with running(tmp_path, upstream, start=False) as (service, store, _):
        job = await _stored(store, state=JobState.RUNNING, task_id=task_id, started_at=time.time())
        await service.start()
        upstream.tasks[task_id].update(state="finished", response=line(task_id, 100))
        assert (await ended(store, job.id)).state is JobState.DONE
        assert upstream.submits == []


async def test_a_sent_job_without_task_id_is_found_upstream_not_resent(tmp_path: Path) -> None:
    upstream = Upstream()
    async with running(tmp_path, upstream, start=False) as (service, store, _):
        sent_at = time.time()
        job = await _stored(store, state=JobState.SUBMITTING, started_at=sent_at, attempts=1)
        upstream.task({"prompt": "a fox", "action": "generate", "timeout": 4}, created_at=sent_at + 1)
        await service.start()
        done = await ended(store, job.id)
        assert done.state is JobState.DONE and done.task_id == "t1"
        assert upstream.submits == []


async def test_a_sent_job_never_found_is_interrupted_at_its_deadline(tmp_path: Path) -> None:
    upstream = Upstream()
    upstream.task({"prompt": "another prompt"})
    config = dataclasses.replace(FAST, deadline=0.5)
    async with running(tmp_path, upstream, config, start=False) as (service, store, notes):
        job = await _stored(store, state=JobState.SUBMITTING, started_at=time.time(), attempts=1)
        await service.start()
        interrupted = await ended(store, job.id)
        assert interrupted.state is JobState.INTERRUPTED and interrupted.error == UNCONFIRMED.text
        view = await notes.final_of(job.id)
        assert [b.action for b in view.buttons] == ["retry"]
        assert upstream.submits == [] and len(upstream.queries) >= 2, "looked for it more than once"


async def test_a_task_that_failed_while_the_bot_was_down_ends_the_job(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"}, finished=False)
    upstream.tasks[task_id].update(state="failed", response={"success": False, "task_id": task_id,
                                                             "error": {"code": "forbidden", "message": "x"}})
    async with running(tmp_path, upstream, start=False) as (service, store, _):
        job = await _stored(store, state=JobState.RUNNING, task_id=task_id, started_at=time.time())
        await service.start()
        failed = await ended(store, job.id)
        assert failed.state is JobState.FAILED and "moderation" in (failed.error or "")
        assert upstream.submits == []


async def test_a_resumed_task_past_its_deadline_is_stopped(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"}, finished=False)
    async with running(tmp_path, upstream, start=False) as (service, store, _):
        job = await _stored(store, state=JobState.RUNNING, task_id=task_id, started_at=time.time() - 60)
        await service.start()
        failed = await ended(store, job.id)
        assert failed.state is JobState.FAILED and failed.error is not None and "too long" in failed.error
        assert upstream.submits == []


async def test_an_update_handled_again_finds_its_job_and_starts_no_other(tmp_path: Path) -> None:
    """Its replica died after the job was made but before the update was marked done: another
    replica handles the update again, and gets the job that exists (no second job, no announce)."""
    upstream = Upstream()
    async with running(tmp_path, upstream) as (service, store, _):
        token = origin.handling(4242, again=False)
        try:
            first = await imagine(service)
        finally:
            origin.done(token)
        token = origin.handling(4242, again=True)
        try:
            again = await imagine(service)
        finally:
            origin.done(token)
        assert isinstance(again, Job) and again.id == first.id
        assert (await ended(store, first.id)).state is JobState.DONE
        assert len(upstream.submits) == 1
        assert [j.id for j in await store.unfinished_jobs()] == []
        fresh = await imagine(service, "another fox")  # outside any update: a job of its own
        assert fresh.id != first.id

"""The job runner without servers: a recording notifier, AceData behind httpx.MockTransport and a
temporary store (tests/jobs_kit.py). Real time, short deadlines: aiosqlite works in a thread of its
own, which a fake loop clock cannot see, so a virtual deadline could pass while a write is under way."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

from bot.core.domain import Job, JobState, Refusal, Refused, Requester
from bot.jobs import CallbackAnswer, JobConfig, JobService
from bot.jobs.failures import DEADLINE
from bot.store import Store
from tests.jobs_kit import ANN, FAST, Notes, Upstream, ended, imagine, line, running, until

BOB = Requester(8, "Bob", "bob")


async def test_a_streamed_job_ends_with_its_picture_and_buttons(
    job_service: tuple[JobService, Store, Notes], upstream: Upstream
) -> None:
    service, store, notes = job_service
    job = await ended(store, (await imagine(service, "a fox --ar 3:2")).id)
    assert job.state is JobState.DONE and job.task_id == "t1"
    view = await notes.final_of(job.id)
    assert view.image is not None and view.image.is_grid
    assert [b.action for b in view.buttons] == ["upscale1", "reroll"]
    assert upstream.submits == [{"prompt": "a fox --ar 3:2", "action": "generate", "timeout": 4}]


async def test_a_broken_stream_is_followed_through_the_tasks_api(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"}, finished=False)
    upstream.answers = [("lines", [line(task_id, 30)], False)]  # ends after one line
    async with running(tmp_path, upstream) as (service, store, _notes):
        job = await imagine(service)
        await until(lambda: upstream.queries)
        upstream.tasks[task_id].update(state="finished", response=line(task_id, 100))
        done = await ended(store, job.id)
        assert done.state is JobState.DONE and len(upstream.submits) == 1
        assert all(q["action"] == "retrieve_batch" and q["ids"] == [task_id] for q in upstream.queries)


async def test_a_stall_after_the_first_line_is_followed_too(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"})
    upstream.answers = [("lines", [line(task_id, 30)], True)]  # then silent (stall timeout 0.2 s)
    async with running(tmp_path, upstream) as (service, store, _):
        done = await ended(store, (await imagine(service)).id)
        assert done.state is JobState.DONE and len(upstream.submits) == 1


async def test_a_failed_task_state_ends_the_job_at_once(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"}, finished=False)
    upstream.tasks[task_id].update(state="cancelled", response=None)
    upstream.answers = [("lines", [line(task_id, 30)], False)]
    async with running(tmp_path, upstream) as (service, store, _notes):
        failed = await ended(store, (await imagine(service)).id)
        assert failed.state is JobState.FAILED and "cancelled" in (failed.error or "")


async def test_busy_upstream_is_retried_with_backoff(tmp_path: Path) -> None:
    upstream = Upstream()
    busy = {"error": {"code": "too_many_requests", "message": "slow down"}, "trace_id": "tr"}
    upstream.answers = [(429, busy), (429, busy)]
    async with running(tmp_path, upstream) as (service, store, notes):
        done = await ended(store, (await imagine(service)).id)
        assert done.state is JobState.DONE and len(upstream.submits) == 3
        assert any(v.job.state is JobState.QUEUED for v in notes.updates), "shown as queued meanwhile"


async def test_busy_retries_used_up_fail_with_retry(tmp_path: Path) -> None:
    upstream = Upstream()
    busy = {"error": {"code": "too_many_requests", "message": "slow down"}}
    upstream.answers = [(429, busy)] * 10
    async with running(tmp_path, upstream, dataclasses.replace(FAST, busy_retries=2)) as (service, store, notes):
        failed = await ended(store, (await imagine(service)).id)
        assert failed.state is JobState.FAILED and len(upstream.submits) == 3
        view = await notes.final_of(failed.id)
        assert [b.action for b in view.buttons] == ["retry"]


async def test_the_deadline_ends_a_job_that_never_answers(tmp_path: Path) -> None:
    upstream = Upstream()
    upstream.answers = [("lines", [], True)]  # Midjourney's queue, silent, longer than the deadline
    async with running(tmp_path, upstream, dataclasses.replace(FAST, deadline=0.2)) as (service, store, _notes):
        failed = await ended(store, (await imagine(service)).id)
        assert failed.state is JobState.FAILED and failed.error == DEADLINE.text
        assert len(upstream.submits) == 1


async def test_callback_mode_takes_results_from_callbacks(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"}, finished=False)
    upstream.answers = [(200, {"success": True, "task_id": task_id})]
    config = dataclasses.replace(FAST, callback_base="https://bot.test/acedata", poll_interval=30)
    async with running(tmp_path, upstream, config) as (service, store, notes):
        job = await imagine(service)
        await until(lambda: upstream.submits)
        secret = upstream.submits[0]["callback_url"].rsplit("/", 1)[1]
        await until(lambda: notes.created)
        assert await service.on_callback("wrong", b"{}") is CallbackAnswer.UNKNOWN
        assert await service.on_callback(secret, b"{not json") is CallbackAnswer.UNREADABLE
        other = line("someone-else", 100)
        answer = await service.on_callback(secret, json.dumps(line(task_id, 60)).encode())
        assert answer is CallbackAnswer.OK
        assert await service.on_callback(secret, json.dumps(line(task_id, 100)).encode()) is CallbackAnswer.OK
        done = await ended(store, job.id)
        assert done.state is JobState.DONE and upstream.queries == [], "no polling was needed"
        assert await service.on_callback(secret, json.dumps(other).encode()) is CallbackAnswer.UNKNOWN


async def test_a_5xx_is_retried_once_then_explained(tmp_path: Path) -> None:
    upstream = Upstream()
    boom = {"error": {"code": "api_error", "message": "fetch failed"}, "trace_id": "tr"}
    upstream.answers = [(500, boom), (500, boom)]
    async with running(tmp_path, upstream) as (service, store, _notes):
        failed = await ended(store, (await imagine(service)).id)
        assert failed.state is JobState.FAILED and len(upstream.submits) == 2
        assert "fetch failed" not in (failed.error or ""), "upstream's words stay in the log"


async def test_tasks_api_errors_are_polled_through(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"})
    upstream.answers = [("lines", [line(task_id, 30)], False)]
    upstream.task_errors = [500, 429]
    async with running(tmp_path, upstream) as (service, store, _):
        done = await ended(store, (await imagine(service)).id)
        assert done.state is JobState.DONE and len(upstream.queries) == 3 and len(upstream.submits) == 1


async def test_a_broken_stream_whose_task_never_ends_meets_the_deadline(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"}, finished=False)
    upstream.answers = [("lines", [line(task_id, 30)], False)]
    async with running(tmp_path, upstream, dataclasses.replace(FAST, deadline=0.25)) as (service, store, notes):
        failed = await ended(store, (await imagine(service)).id)
        assert failed.state is JobState.FAILED and failed.error == DEADLINE.text
        view = await notes.final_of(failed.id)
        assert [b.action for b in view.buttons] == ["retry"]


def _callback_mode() -> tuple[Upstream, str, JobConfig]:
    """AceData answering with a task id at once, the results to come by callback."""
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"}, finished=False)
    upstream.answers = [(200, {"success": True, "task_id": task_id})]
    return upstream, task_id, dataclasses.replace(FAST, callback_base="https://bot.test/acedata", poll_interval=30)


async def _submitted_with_callback(service: JobService, store: Store, upstream: Upstream) -> tuple[Job, str]:
    """A job submitted in callback mode, once its task id is stored, and its callback secret."""
    job = await imagine(service)
    await until(lambda: upstream.submits)
    secret = str(upstream.submits[0]["callback_url"]).rsplit("/", 1)[1]
    while (current := await store.get_job(job.id)) is not None and current.task_id is None:
        await asyncio.sleep(0.01)
    return job, secret


async def test_a_callback_reporting_failure_ends_the_job(tmp_path: Path) -> None:
    upstream, task_id, config = _callback_mode()
    async with running(tmp_path, upstream, config) as (service, store, _):
        job, secret = await _submitted_with_callback(service, store, upstream)
        failure = {"success": False, "task_id": task_id, "error": {"code": "forbidden", "message": "nsfw"}}
        assert await service.on_callback(secret, json.dumps(failure).encode()) is CallbackAnswer.OK
        failed = await ended(store, job.id)
        assert failed.state is JobState.FAILED and "moderation" in (failed.error or "")


async def test_a_callback_may_only_name_public_https_pictures(tmp_path: Path) -> None:
    """A callback carries a per-job secret, but whoever holds it must not make the bot fetch or
    show an internal address: only https on a public host finishes the job."""
    upstream, task_id, config = _callback_mode()
    async with running(tmp_path, upstream, config) as (service, store, _):
        job, secret = await _submitted_with_callback(service, store, upstream)
        for url in ("http://cdn.test/a.png", "https://127.0.0.1/a.png", "https://10.0.0.5/a.png",
                    "https://localhost/a.png", "https://[::1]/a.png", "file:///etc/passwd"):  # fmt: skip
            body = {**line(task_id, 100), "image_url": url, "raw_image_url": None}
            assert await service.on_callback(secret, json.dumps(body).encode()) is CallbackAnswer.UNREADABLE, url
        assert (await store.get_job(job.id)).state is not JobState.DONE  # type: ignore[union-attr]
        good = {**line(task_id, 100), "image_url": "https://cdn.example.com/t1.png"}
        assert await service.on_callback(secret, json.dumps(good).encode()) is CallbackAnswer.OK
        assert (await ended(store, job.id)).state is JobState.DONE


async def test_callback_mode_without_callbacks_meets_the_deadline(tmp_path: Path) -> None:
    upstream = Upstream()
    task_id = upstream.task({"prompt": "a fox"}, finished=False)
    upstream.answers = [(200, {"success": True, "task_id": task_id})]
    config = dataclasses.replace(FAST, callback_base="https://bot.test/acedata", deadline=0.25)
    async with running(tmp_path, upstream, config) as (service, store, _):
        failed = await ended(store, (await imagine(service)).id)
        assert failed.state is JobState.FAILED and failed.error == DEADLINE.text


async def test_a_job_starts_before_its_message_which_then_catches_up(tmp_path: Path) -> None:
    """Submitted at once, not after the chat's pacing lets its first message out; that message
    then shows the progress made meanwhile."""
    upstream = Upstream()
    upstream.answers = [("lines", [line("t1", 30)], True)]
    async with running(tmp_path, upstream) as (service, store, notes):
        created = asyncio.Event()

        async def slow_create(view: object) -> int:
            await until(lambda: upstream.submits)  # the chat is slow: the job is upstream first
            created.set()
            return 777

        notes.create = slow_create  # type: ignore[method-assign]
        job = await imagine(service)
        await created.wait()
        caught_up = await until(lambda: [v for v in notes.updates if v.job.message_id == 777])
        assert caught_up[-1].job.state is JobState.RUNNING and caught_up[-1].job.progress == 30
        assert (await store.get_job(job.id)).message_id == 777  # type: ignore[union-attr]


async def test_a_first_message_telegram_refuses_drops_a_waiting_job(tmp_path: Path) -> None:
    """A job waiting for a slot whose first message the chat refuses is dropped, never submitted;
    one already submitted (it starts before its message) runs on: its result is sent anew."""
    upstream = Upstream()
    upstream.answers = [("lines", [line("t1", 30)], True)]  # the first job holds the only slot
    async with running(tmp_path, upstream, dataclasses.replace(FAST, concurrency=1)) as (service, store, notes):
        first = await imagine(service)
        await until(lambda: upstream.submits)

        async def refuse(view: object) -> int:
            raise RuntimeError("Forbidden: bot was blocked by the user")

        notes.create = refuse  # type: ignore[method-assign]
        waiting = await imagine(service)
        dropped = await ended(store, waiting.id)
        assert dropped.state is JobState.CANCELLED and len(upstream.submits) == 1
        kept = await store.get_job(first.id)
        assert kept is not None and kept.state is not JobState.CANCELLED, "the other job is left alone"


async def test_two_retry_taps_make_one_job(tmp_path: Path) -> None:
    upstream = Upstream()
    boom = {"error": {"code": "api_error", "message": "x"}}
    upstream.answers = [(500, boom), (500, boom)]
    async with running(tmp_path, upstream) as (service, store, _):
        failed = await ended(store, (await imagine(service)).id)
        first, second = await asyncio.gather(service.retry(failed.id, ANN), service.retry(failed.id, BOB))
        started = [r for r in (first, second) if not isinstance(r, Refused)]
        assert len(started) == 1, (first, second)
        again = await service.retry(failed.id, ANN)
        assert isinstance(again, Refused) and again.why is Refusal.BUSY, "a second tap later: busy too"
        assert (await ended(store, started[0].id)).state is JobState.DONE
        assert len(upstream.submits) == 3


async def test_an_unreadable_accepted_answer_in_callback_mode_is_looked_for_not_resent(tmp_path: Path) -> None:
    upstream = Upstream()
    upstream.answers = [("raw", 200, b"<html>gateway hiccup</html>")]
    config = dataclasses.replace(FAST, callback_base="https://bot.test/acedata", poll_interval=30)
    async with running(tmp_path, upstream, config) as (service, store, _):
        job = await imagine(service)
        await until(lambda: upstream.submits)
        secret = upstream.submits[0]["callback_url"].rsplit("/", 1)[1]
        task_id = upstream.task({"prompt": "a fox"}, finished=False)
        while (current := await store.get_job(job.id)) is not None and current.state is not JobState.SUBMITTING:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert await service.on_callback(secret, json.dumps(line(task_id, 100)).encode()) is CallbackAnswer.OK
        done = await ended(store, job.id)
        assert done.state is JobState.DONE and done.task_id == task_id and len(upstream.submits) == 1


async def test_a_5xx_after_a_429_still_gets_its_one_retry(tmp_path: Path) -> None:
    upstream = Upstream()
    busy = {"error": {"code": "too_many_requests", "message": "slow down"}}
    boom = {"error": {"code": "api_error", "message": "x"}}
    upstream.answers = [(429, busy), (500, boom)]
    async with running(tmp_path, upstream) as (service, store, _):
        done = await ended(store, (await imagine(service)).id)
        assert done.state is JobState.DONE and len(upstream.submits) == 3


async def test_only_the_owner_cancels_a_waiting_job_and_it_is_never_submitted(tmp_path: Path) -> None:
    from bot.jobs.service import Cancelled

    upstream = Upstream()
    upstream.answers = [("lines", [line("t1", 30)], True)]  # the first job holds the only slot
    async with running(tmp_path, upstream, dataclasses.replace(FAST, concurrency=1)) as (service, store, notes):
        first = await imagine(service)
        await until(lambda: upstream.submits)
        waiting = await imagine(service)
        assert await service.cancel(waiting.id, waiting.chat_id, BOB) is Cancelled.NOT_YOURS
        assert await service.cancel(waiting.id, 999, ANN) is Cancelled.UNKNOWN, "another chat's job"
        assert await service.cancel(first.id, first.chat_id, ANN) is Cancelled.TOO_LATE, "already upstream"
        assert await service.cancel(waiting.id, waiting.chat_id, ANN) is Cancelled.DONE
        assert await service.cancel(waiting.id, waiting.chat_id, ANN) is Cancelled.ALREADY, "a second tap"
        cancelled = await ended(store, waiting.id)
        assert cancelled.state is JobState.CANCELLED
        view = await notes.final_of(waiting.id)
        assert view.job.state is JobState.CANCELLED and view.buttons == ()
        await asyncio.sleep(0.1)
        assert len(upstream.submits) == 1


async def test_two_waiting_jobs_never_show_the_same_position(tmp_path: Path) -> None:
    upstream = Upstream()
    upstream.answers = [("lines", [line("t1", 30)], True)]
    async with running(tmp_path, upstream, dataclasses.replace(FAST, concurrency=1)) as (service, _, notes):
        await imagine(service)
        await until(lambda: upstream.submits)
        jobs = await asyncio.gather(*(imagine(service) for _ in range(3)))
        await until(lambda: len(notes.created) == 4)
        positions = {v.job.id: v.position for v in notes.created}
        assert sorted(positions[job.id] or 0 for job in jobs) == [1, 2, 3]


async def test_a_job_cancelled_while_backing_off_stays_cancelled(tmp_path: Path) -> None:
    """Upstream said busy (429): the job waits to be sent again, and may be cancelled meanwhile."""
    from bot.jobs.service import Cancelled

    upstream = Upstream()
    busy = {"error": {"code": "too_many_requests", "message": "busy"}}
    upstream.answers = [(429, busy)]
    config = dataclasses.replace(FAST, busy_backoff=0.1)
    async with running(tmp_path, upstream, config) as (service, store, notes):
        job = await imagine(service)
        await until(lambda: len(upstream.submits) == 1)
        await until(lambda: any(v.job.state is JobState.QUEUED and v.job.attempts for v in notes.updates))
        assert await service.cancel(job.id, job.chat_id, ANN) is Cancelled.DONE
        seen = len(notes.updates)
        await asyncio.sleep(0.3)  # past the backoff (0.1 s, at most ×1.3 jitter)
        assert len(upstream.submits) == 1 and (await store.get_job(job.id)).state is JobState.CANCELLED  # type: ignore[union-attr]
        assert notes.updates[seen:] == [], "not put back in line (no 'Queued' drawn over 'Cancelled')"

"""A job layer without servers: a recording notifier, an in-memory AceData behind
`httpx.MockTransport`, and a temporary store. Used by tests/test_jobs_*.py."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.core.domain import Button, Image, Job, JobState, JobView, Requester
from bot.core.prompt import parse_prompt
from bot.imagine import ImagineClient
from bot.jobs import JobConfig, JobService
from bot.store import Store

ANN = Requester(7, "Ann", "ann")
FAST = JobConfig(concurrency=2, submit_interval=0.0, deadline=5.0, poll_interval=0.02, poll_interval_max=0.1,
                 busy_backoff=0.01, unavailable_backoff=0.01, position_refresh=0.05)  # fmt: skip


@dataclass
class Notes:
    """Records what the job layer asks of the chat."""

    created: list[JobView] = field(default_factory=list)
    updates: list[JobView] = field(default_factory=list)
    finished: list[JobView] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))

    async def create(self, view: JobView) -> int:
        self.created.append(view)
        return next(self._ids)

    def update(self, view: JobView) -> None:
        self.updates.append(view)

    async def finish(self, view: JobView) -> int:
        """Like the Telegram notifier: a job whose first message never went out gets a new one."""
        self.finished.append(view)
        return view.job.message_id if view.job.message_id is not None else next(self._ids)

    def show_buttons(self, image: Image, buttons: tuple[Button, ...]) -> None:
        pass

    async def final_of(self, job_id: int, timeout: float = 5.0) -> JobView:
        """The job's final view, waiting for it: the store records the end before the chat hears it."""
        view: JobView = await until(lambda: next((v for v in self.finished if v.job.id == job_id), None), timeout)
        return view


def line(task_id: str, progress: int) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "task_id": task_id, "image_id": f"{task_id}-{progress}",
                            "progress": progress, "image_url": f"https://cdn.test/{task_id}/{progress}.png",
                            "actions": []}  # fmt: skip
    if progress >= 100:
        body.update(actions=["upscale1", "reroll"], raw_image_url=f"https://cdn.test/{task_id}/raw.png",
                    raw_image_width=1024, raw_image_height=1024)  # fmt: skip
    return body


class Upstream:
    """AceData in memory. `answers` scripts the next imagine answers: a status with a JSON body, or
    ("lines", [...], hang_after) for a stream. Tasks are finished by default (the tasks API shows
    their final line); `tasks` can be edited by a test."""

    def __init__(self) -> None:
        self.submits: list[dict[str, Any]] = []
        self.queries: list[dict[str, Any]] = []
        self.answers: list[Any] = []
        self.tasks: dict[str, dict[str, Any]] = {}
        self.task_errors: list[int] = []  # statuses of the next tasks-API answers
        self._ids = itertools.count(1)

    def task(self, request: dict[str, Any], *, finished: bool = True, created_at: float = 0.0) -> str:
        task_id = f"t{next(self._ids)}"
        self.tasks[task_id] = {"id": task_id, "created_at": created_at or 1e12, "request": request,
                               "state": "finished" if finished else "generating",
                               "response": line(task_id, 100 if finished else 40)}  # fmt: skip
        return task_id

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path == "/midjourney/tasks":
            self.queries.append(body)
            if self.task_errors:
                status = self.task_errors.pop(0)
                return httpx.Response(status, json={"error": {"code": "api_error", "message": "x"}, "trace_id": "tq"})
            if body.get("ids") is not None:
                items = [self.tasks[i] for i in body["ids"] if i in self.tasks]
            else:
                items = sorted(self.tasks.values(), key=lambda t: -t["created_at"])
            items = items[body.get("offset", 0) : body.get("offset", 0) + body.get("limit", 12)]
            return httpx.Response(200, json={"items": items, "count": len(items)})
        self.submits.append(body)
        answer = self.answers.pop(0) if self.answers else ("lines", None, False)
        if answer[0] == "lines":
            _, lines, hang = answer
            if lines is None:
                task_id = self.task(body)
                lines = [line(task_id, 50), line(task_id, 100)]
            return httpx.Response(200, content=_stream(lines, hang))
        if answer[0] == "raw":
            return httpx.Response(answer[1], content=answer[2])
        status, payload = answer
        return httpx.Response(status, json=payload)


async def _stream(lines: list[dict[str, Any]], hang: bool) -> AsyncIterator[bytes]:
    for item in lines:
        yield (json.dumps(item) + "\n").encode()
    if hang:
        await asyncio.sleep(3600)


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path, upstream: Upstream, config: JobConfig = FAST, *, start: bool = True
) -> AsyncIterator[tuple[JobService, Store, Notes]]:
    """A started JobService on a fresh store; stopped and closed afterwards. Its clock follows the
    event loop's, so deadlines pass on looptime's fake clock too (wall time plus loop time since)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    config = dataclasses.replace(config, clock=lambda: time.time() + loop.time() - began)
    store = await Store.open(tmp_path / "jobs.sqlite3")
    http = httpx.AsyncClient(transport=httpx.MockTransport(upstream.handler))
    client = ImagineClient(http, base_url="https://api.test", token="t", platform_url="https://pf.test",
                           platform_token="t", stall_timeout=0.2)  # fmt: skip
    notes = Notes()
    service = JobService(store, client, notes, config)
    try:
        if start:
            await service.start()
        yield service, store, notes
    finally:
        await service.stop()
        await http.aclose()
        await store.close()


async def imagine(service: JobService, text: str = "a fox") -> Job:
    job = await service.imagine(chat_id=1, chat_type="private", requester=ANN, reply_to=9,
                                prompt=parse_prompt(text))  # fmt: skip
    assert job is not None
    return job


async def ended(store: Store, job_id: int, timeout: float = 5.0) -> Job:
    """The job once it is DONE, FAILED or INTERRUPTED (and its result has gone to the chat)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        job = await store.get_job(job_id)
        if job is not None and job.state.finished and (job.state is not JobState.DONE or job.message_id):
            return job
        await asyncio.sleep(0.01)
    raise AssertionError(f"job {job_id} did not end: {await store.get_job(job_id)}")


def until(predicate: Callable[[], object], timeout: float = 5.0) -> Any:
    async def wait() -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := predicate()):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met")
            await asyncio.sleep(0.01)
        return value

    return wait()

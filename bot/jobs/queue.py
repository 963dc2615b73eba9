"""Jobs waiting for an upstream slot, the workers that take them, and the places they show.

At most `concurrency` jobs are upstream at once and one submit leaves per `submit_interval`;
the rest wait here in order, and their messages show their position, refreshed every
`position_refresh` seconds rather than on every change.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.core.domain import Job, JobView
from bot.jobs.ports import JobConfig
from bot.runtime.tasks import TaskSet
from bot.store import LeaseLost

log = logging.getLogger(__name__)

Run = Callable[[Job], Awaitable[None]]


class Shows(Protocol):
    def update(self, view: JobView) -> bool: ...


class JobQueue:
    def __init__(
        self,
        notifier: Shows,
        config: JobConfig,
        tasks: TaskSet,
        still_queued: Callable[[int], Awaitable[bool]] | None = None,
        cancelled_elsewhere: Callable[[list[int]], Awaitable[list[int]]] | None = None,
        on_cancelled: Callable[[Job], None] | None = None,
    ) -> None:
        self._still_queued = still_queued  # a job backing off may be cancelled meanwhile
        # With replicas: which waiting jobs their owners cancelled through another replica
        self._cancelled_elsewhere = cancelled_elsewhere
        self._on_cancelled = on_cancelled
        self._notifier = notifier
        self._config = config
        self._tasks = tasks
        self._waiting: OrderedDict[int, Job] = OrderedDict()
        self._idle: deque[asyncio.Future[None]] = deque()  # one per idle worker
        self._running = 0
        self._submit_lock = asyncio.Lock()
        self._next_submit = 0.0
        self._positions_dirty = False
        self._shown: dict[int, int] = {}  # job id → the position its message was last given

    def start(self, run: Run, crashed: Callable[[Job], Awaitable[None]]) -> None:
        for n in range(self._config.concurrency):
            self._tasks.spawn(self._worker(run, crashed), name=f"job-worker-{n}")
        self._tasks.spawn(self._refresh_positions(), name="queue-positions")

    @property
    def busy(self) -> bool:
        """Whether a new job would have to wait for a slot."""
        return self._running + len(self._waiting) >= self._config.concurrency

    def counts(self) -> tuple[int, int]:
        return len(self._waiting), self._running

    @property
    def next_position(self) -> int:
        return len(self._waiting) + 1

    def position_of(self, job_id: int) -> int | None:
        """The job's 1-based place among the waiting jobs, or None once a worker has it. Every
        waiting job has its own place: two messages never show the same position."""
        for position, waiting in enumerate(self._waiting, start=1):
            if waiting == job_id:
                return position
        return None

    def remove(self, job_id: int) -> None:
        """A cancelled job leaves the line (one backing off after a 429 is dropped by the runner,
        which submits only jobs still QUEUED in the store)."""
        if self._waiting.pop(job_id, None) is not None:
            self._positions_dirty = True

    def put(self, job: Job, *, first: bool = False) -> None:
        self._waiting[job.id] = job
        if first:
            self._waiting.move_to_end(job.id, last=False)
        self._wake_one()
        self._positions_dirty = True

    def put_later(self, job: Job, delay: float) -> None:
        async def later() -> None:
            await asyncio.sleep(delay)
            if self._still_queued is None or await self._still_queued(job.id):
                self.put(job)

        self._tasks.spawn(later(), name=f"retry-{job.id}")

    async def gate(self) -> None:
        """At most one upstream submit per `submit_interval`."""
        async with self._submit_lock:
            now = asyncio.get_running_loop().time()
            delay = self._next_submit - now
            if delay > 0:
                await asyncio.sleep(delay)
            self._next_submit = max(now, self._next_submit) + self._config.submit_interval

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

    async def _worker(self, run: Run, crashed: Callable[[Job], Awaitable[None]]) -> None:
        while True:
            job = await self._take()
            self._running += 1
            try:
                await run(job)
            except asyncio.CancelledError:
                raise
            except LeaseLost as exc:  # another replica runs it now: nothing more to do here
                log.warning("job %s: %s; this replica stops working on it", job.id, exc)
            except Exception:
                log.exception("job %s crashed", job.id)
                try:
                    await crashed(job)
                except Exception:  # e.g. its lease is lost too: the worker itself must live on
                    log.exception("job %s: could not end it after its crash", job.id)
            finally:
                self._running -= 1

    async def _drop_cancelled(self) -> None:
        if self._cancelled_elsewhere is None or not self._waiting:
            return
        try:
            cancelled = await self._cancelled_elsewhere(list(self._waiting))
        except Exception:
            log.exception("could not look for jobs cancelled through another replica")
            return
        for job_id in cancelled:
            job = self._waiting.pop(job_id, None)
            if job is not None:
                self._positions_dirty = True
                if self._on_cancelled is not None:
                    self._on_cancelled(job)

    async def _refresh_positions(self) -> None:
        while True:
            await asyncio.sleep(self._config.position_refresh)
            await self._drop_cancelled()
            if not self._positions_dirty:
                continue
            self._positions_dirty = False
            shown, self._shown = self._shown, {}
            for position, job in enumerate(list(self._waiting.values()), start=1):
                if shown.get(job.id) == position:
                    self._shown[job.id] = position
                    continue  # its message says this already
                if self._notifier.update(JobView(job, position=position)):
                    self._shown[job.id] = position
                if position % 100 == 0:
                    await asyncio.sleep(0)  # a long line: let the loop breathe

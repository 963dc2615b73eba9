"""Following tasks through AceData's tasks API with few calls.

`TaskPoller` batches every poll that falls in the same moment into `retrieve_batch` calls of at
most `limit` ids each, so a restart with hundreds of running jobs costs ⌈n / limit⌉ calls, not n.
`find_task` looks for a task whose id never came back (the answer dropped before its first line,
or the bot died while it waited): by the submit's trace id when upstream sent one, else among the
account's recent tasks, by request body and time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.imagine import TASKS_LIMIT, ImagineClient, ImagineError, ImagineRequest, TaskRecord
from bot.runtime import logcontext
from bot.runtime.tasks import TaskSet

log = logging.getLogger(__name__)

CLOCK_SKEW = 120.0  # seconds a task's created_at may precede our own submit time
RECENT_PAGES = 4  # pages of recent tasks read while looking for a lost one


class TaskPoller:
    """`await poll(task_id)` → the task's record (None if upstream did not list it or failed).
    Calls made within `window` seconds of each other share one `retrieve_batch`."""

    def __init__(
        self, client: ImagineClient, tasks: TaskSet, *, limit: int = TASKS_LIMIT, window: float = 0.05
    ) -> None:
        self._client = client
        self._tasks = tasks
        self._limit = limit
        self._window = window
        self._pending: dict[str, list[asyncio.Future[TaskRecord | None]]] = {}

    async def poll(self, task_id: str) -> TaskRecord | None:
        future: asyncio.Future[TaskRecord | None] = asyncio.get_running_loop().create_future()
        if not self._pending:
            self._tasks.spawn(self._flush(), "tasks-poll", context=logcontext.detached())
        self._pending.setdefault(task_id, []).append(future)
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(self._window)
        pending, self._pending = self._pending, {}
        ids = list(pending)
        try:
            for start in range(0, len(ids), self._limit):
                chunk = ids[start : start + self._limit]
                records = await self._fetch(chunk)
                for task_id in chunk:
                    for future in pending.pop(task_id):
                        if not future.done():
                            future.set_result(records.get(task_id))
        finally:
            for futures in pending.values():  # cancelled half-way: nobody waits forever
                for future in futures:
                    if not future.done():
                        future.set_result(None)

    async def _fetch(self, chunk: list[str]) -> dict[str, TaskRecord]:
        try:
            records = await self._client.retrieve_batch(chunk, limit=len(chunk))
        except ImagineError as exc:
            log.warning("polling %d tasks failed: %s (trace_id %s)", len(chunk), exc, exc.trace_id)
            return {}
        return {record.id: record for record in records}


async def find_task(
    client: ImagineClient,
    request: ImagineRequest,
    *,
    sent_at: float,
    trace_id: str | None,
    claimed: Callable[[str], Awaitable[bool]],
) -> TaskRecord | None:
    """The upstream task started by `request` (sent at `sent_at`), if upstream lists it yet.
    `claimed(task_id)` tells tasks that already belong to another job, so two identical requests
    sent at the same time are never both matched to the same task."""
    if trace_id:
        records = await client.retrieve_batch(trace_ids=[trace_id], limit=TASKS_LIMIT)
        for record in records:
            ours = record.trace_id == trace_id or (
                record.trace_id is None and record.request is not None and request.matches(record.request)
            )
            if ours and (record.request is None or request.matches(record.request)) and not await claimed(record.id):
                return record
    matches: list[TaskRecord] = []
    for page in range(RECENT_PAGES):
        records = await client.retrieve_batch(offset=page * TASKS_LIMIT, limit=TASKS_LIMIT)
        for record in records:
            if record.created_at is None or record.created_at < sent_at - CLOCK_SKEW:
                continue  # sent before ours, or of unknown time: not ours to take
            if record.request is not None and request.matches(record.request):
                matches.append(record)
        older = [r.created_at for r in records if r.created_at is not None]
        if len(records) < TASKS_LIMIT or (older and min(older) < sent_at - CLOCK_SKEW):
            break
    for record in sorted(matches, key=lambda r: r.created_at or 0.0):  # the oldest unclaimed one
        if not await claimed(record.id):
            return record
    return None

"""Batched polls of the tasks API and finding a task whose id never came back (MockTransport)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from bot.imagine import ImagineClient, ImagineRequest
from bot.jobs.tracking import CLOCK_SKEW, TaskPoller, find_task
from bot.runtime.tasks import TaskSet

NOW = 1_700_000_000.0


def _client(tasks: list[dict[str, Any]], calls: list[dict[str, Any]]) -> ImagineClient:
    """A tasks API over `tasks` (oldest first), recording every body it gets."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append(body)
        chosen = list(reversed(tasks))
        if "ids" in body:
            chosen = [t for t in chosen if t["id"] in body["ids"]]
        if "trace_ids" in body:
            chosen = [t for t in chosen if t.get("trace_id") in body["trace_ids"]]
        items = chosen[body["offset"] : body["offset"] + body["limit"]]
        return httpx.Response(200, json={"items": items, "count": len(items)})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ImagineClient(http, base_url="https://api.test", token="t", platform_url="https://pf.test",
                         platform_token="t")  # fmt: skip


async def test_polls_at_the_same_moment_share_batches_of_at_most_limit() -> None:
    tasks = [{"id": f"t{i}", "response": {"progress": 50}} for i in range(30)]
    calls: list[dict[str, Any]] = []
    poller = TaskPoller(_client(tasks, calls), TaskSet(), limit=12)
    records = await asyncio.gather(*(poller.poll(f"t{i}") for i in range(30)), poller.poll("missing"))
    assert [r.id if r else None for r in records] == [f"t{i}" for i in range(30)] + [None]
    assert len(calls) == 3 and all(len(c["ids"]) <= c["limit"] <= 12 for c in calls)
    assert sorted(i for c in calls for i in c["ids"]) == sorted([f"t{i}" for i in range(30)] + ["missing"])


async def test_a_failed_batch_answers_none_and_the_next_poll_asks_again() -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            return httpx.Response(500, json={"error": {"code": "api_error", "message": "x"}, "trace_id": "tr"})
        return httpx.Response(200, json={"items": [{"id": "t1"}]})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = ImagineClient(http, base_url="https://a.test", token="t", platform_url="https://p.test",
                           platform_token="t")  # fmt: skip
    poller = TaskPoller(client, TaskSet())
    assert await poller.poll("t1") is None
    record = await poller.poll("t1")
    assert record is not None and record.id == "t1"


def _task(task_id: str, prompt: str, created: float, trace: str | None = None) -> dict[str, Any]:
    return {"id": task_id, "trace_id": trace, "created_at": created, "state": "generating",
            "request": {"prompt": prompt, "action": "generate", "timeout": 540}}  # fmt: skip


async def _never(task_id: str) -> bool:
    return False


async def test_found_by_trace_id_first() -> None:
    calls: list[dict[str, Any]] = []
    client = _client([_task("a", "a fox", NOW, "tr-a"), _task("b", "a fox", NOW + 1, "tr-b")], calls)
    found = await find_task(client, ImagineRequest(prompt="a fox"), sent_at=NOW, trace_id="tr-b", claimed=_never)
    assert found is not None and found.id == "b"
    assert calls == [{"action": "retrieve_batch", "offset": 0, "limit": 12, "trace_ids": ["tr-b"]}]


async def test_found_among_recent_tasks_by_request_and_time() -> None:
    calls: list[dict[str, Any]] = []
    tasks = [
        _task("old", "a fox", NOW - CLOCK_SKEW - 60),  # same prompt, but sent long before
        _task("mine", "a fox", NOW + 2),
        _task("twin", "a fox", NOW + 3),  # an identical request sent just after
        _task("other", "a cat", NOW + 4),
    ]
    client = _client(tasks, calls)
    request = ImagineRequest(prompt="a fox", timeout=540)

    async def claimed(task_id: str) -> bool:
        return task_id == "mine"  # another job follows it already

    found = await find_task(client, request, sent_at=NOW, trace_id=None, claimed=_never)
    assert found is not None and found.id == "mine", "the oldest match after the submit"
    found = await find_task(client, request, sent_at=NOW, trace_id=None, claimed=claimed)
    assert found is not None and found.id == "twin"
    assert await find_task(client, ImagineRequest(prompt="a dog"), sent_at=NOW, trace_id=None,
                           claimed=_never) is None  # fmt: skip


async def test_recent_tasks_are_paged_until_older_than_the_submit() -> None:
    calls: list[dict[str, Any]] = []
    tasks = [_task(f"x{i}", f"other {i}", NOW + i) for i in range(30)]
    client = _client(tasks, calls)
    assert await find_task(client, ImagineRequest(prompt="mine"), sent_at=NOW, trace_id=None,
                           claimed=_never) is None  # fmt: skip
    assert [c["offset"] for c in calls] == [0, 12, 24]


async def test_a_trace_id_lookup_never_adopts_another_request() -> None:
    calls: list[dict[str, Any]] = []
    stranger = _task("x", "a cat", NOW + 1)  # no trace id recorded, another prompt
    client = _client([stranger], calls)
    assert await find_task(client, ImagineRequest(prompt="a fox"), sent_at=NOW, trace_id="tr-1",
                           claimed=_never) is None  # fmt: skip


async def test_tasks_of_unknown_time_are_not_taken() -> None:
    calls: list[dict[str, Any]] = []
    old = _task("old", "a fox", NOW)
    old["created_at"] = "2024-07-07T10:00:00Z"
    client = _client([old], calls)
    assert await find_task(client, ImagineRequest(prompt="a fox"), sent_at=NOW, trace_id=None, claimed=_never) is None

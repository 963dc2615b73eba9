"""The client against AceData's real timing and shapes (MockTransport, no server): the seed's own
response examples, a silent queue start, loose types, trace ids, and the undocumented answer to
ndjson + callback_url."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from bot.imagine import (
    Accepted,
    ImagineClient,
    ImagineError,
    ImagineRequest,
    ImagineResult,
    InvalidRequest,
    Misconfigured,
    NotSent,
    StreamBroken,
    TaskFailed,
    TaskRecord,
)
from bot.imagine.boundary import _translated

SEED_EXAMPLES: list[str] = json.loads((Path(__file__).parent / "data" / "seed_examples.json").read_text())


def _client(handler: Callable[[httpx.Request], httpx.Response], stall: float = 120.0) -> ImagineClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ImagineClient(http, base_url="https://api.test", token="secret", platform_url="https://pf.test",
                         platform_token="pf-secret", stall_timeout=stall)  # fmt: skip


def _line(progress: float, task_id: str = "t1", **extra: object) -> bytes:
    body = {"success": True, "task_id": task_id, "image_id": f"i{progress}", "progress": progress,
            "image_url": f"https://cdn.test/{progress}.png", "actions": [], **extra}  # fmt: skip
    return (json.dumps(body) + "\n").encode()


FINAL = _line(100, actions=["upscale1", "reroll"])


async def _events(client: ImagineClient) -> list[Accepted | ImagineResult]:
    return [event async for event in client.stream(ImagineRequest(prompt="a fox"))]


# -- the seed's nine literal examples -------------------------------------------------------------


def test_the_seed_has_nine_examples() -> None:
    assert len(SEED_EXAMPLES) == 9


@pytest.mark.parametrize("text", SEED_EXAMPLES, ids=[f"example{i}" for i in range(1, 10)])
async def test_seed_examples_replay_through_the_client(text: str) -> None:
    objects = [json.loads(line) for line in text.splitlines()] if text.startswith('{"') else [json.loads(text)]
    if len(objects) > 1:  # the ndjson stream example: every line, ending with the grid
        ndjson = "".join(json.dumps(o) + "\n" for o in objects).encode()
        events = await _events(_client(lambda r: httpx.Response(200, content=ndjson)))
        results = [e for e in events if isinstance(e, ImagineResult)]
        assert [r.progress for r in results] == [35, 75, 100]
        assert results[-1].is_final and results[-1].is_grid and not results[0].actions
        return
    body = objects[0]
    as_callback = ImagineResult.model_validate_json(text)
    as_task = TaskRecord.model_validate({"id": body["task_id"], "response": body}).outcome()
    assert as_task == as_callback and as_callback.task_id == body["task_id"]
    if body["success"]:
        assert as_callback.is_final and as_callback.image_id == body["image_id"]
        assert as_callback.raw_image_width == body["raw_image_width"]
        submitted = await _client(lambda r: httpx.Response(200, content=text.encode())).submit(
            ImagineRequest(prompt="x", callback_url="https://bot.test/cb/s")
        )
        assert submitted.task_id == body["task_id"]
    else:
        assert as_callback.failed and as_callback.error is not None
        assert (as_callback.error.code, as_callback.error.message) == ("bad_request", body["error"]["message"])
        with pytest.raises(TaskFailed, match="Unrecognized"):  # a failed task: its own error type
            await _client(lambda r: httpx.Response(200, content=text.encode())).submit(
                ImagineRequest(prompt="x", callback_url="https://bot.test/cb/s")
            )


# -- loose types ----------------------------------------------------------------------------------


def test_loose_types_are_read() -> None:
    result = ImagineResult.model_validate(
        {"task_id": 12, "image_id": 1234, "progress": 42.7, "actions": None, "image_width": "512", "error": None}
    )
    assert (result.task_id, result.image_id, result.progress, result.actions, result.image_width) == (
        "12", "1234", 42, [], 512,
    )  # fmt: skip
    assert ImagineResult.model_validate({"progress": "99.99"}).progress == 99
    coded = ImagineResult.model_validate({"success": False, "error": "timeout"})
    assert coded.error is not None and (coded.error.code, coded.error.message) == ("timeout", "timeout")
    worded = ImagineResult.model_validate({"error": "Midjourney exploded"})
    assert worded.failed and worded.error is not None and worded.error.code == "unknown"


@pytest.mark.parametrize("state", ["failed", "error", "cancelled", "FAILED"])
def test_a_failed_state_ends_the_task(state: str) -> None:
    record = TaskRecord.model_validate({"id": "t1", "state": state, "trace_id": "tr", "response": None})
    outcome = record.outcome()
    assert outcome is not None and outcome.failed and outcome.task_id == "t1" and outcome.trace_id == "tr"
    assert outcome.error is not None and outcome.error.code == state.lower()


def test_a_pending_task_has_no_outcome_yet() -> None:
    assert TaskRecord.model_validate({"id": "t1", "state": "pending", "response": {}}).outcome() is None
    assert TaskRecord.model_validate({"id": "t1", "created_at": "2024-07-07T10:00:00Z"}).created_at is None


# -- timing: silent queue start vs a stall --------------------------------------------------------


async def test_silence_before_the_first_line_is_not_a_stall() -> None:
    async def body() -> AsyncIterator[bytes]:
        await asyncio.sleep(0.3)  # Midjourney's queue: longer than the stall timeout
        yield _line(20)
        yield FINAL

    client = _client(lambda r: httpx.Response(200, content=body(), headers={"X-Trace-Id": "tr-1"}), stall=0.1)
    events = await _events(client)
    assert events[0] == Accepted("tr-1")
    assert [e.progress for e in events[1:] if isinstance(e, ImagineResult)] == [20, 100]


async def test_a_stall_after_the_task_is_known_breaks_the_stream() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield _line(20)
        await asyncio.sleep(5)
        yield FINAL

    client = _client(lambda r: httpx.Response(200, content=body(), headers={"X-Trace-Id": "tr-2"}), stall=0.1)
    with pytest.raises(StreamBroken) as info:
        await _events(client)
    assert (info.value.task_id, info.value.trace_id) == ("t1", "tr-2")


async def test_a_stream_that_ends_silently_keeps_the_trace_id() -> None:
    client = _client(lambda r: httpx.Response(200, content=b"", headers={"X-Trace-Id": "tr-3"}))
    with pytest.raises(StreamBroken) as info:
        await _events(client)
    assert (info.value.task_id, info.value.trace_id) == (None, "tr-3")


# -- callback mode's first answer -----------------------------------------------------------------


async def test_submit_reads_the_first_object_of_a_stream_and_stops() -> None:
    read_on: list[bool] = []

    async def body() -> AsyncIterator[bytes]:
        await asyncio.sleep(0.05)  # silent start
        yield _line(10, task_id="t-9")[:30]  # the first line arrives in pieces
        yield _line(10, task_id="t-9")[30:]
        read_on.append(True)
        await asyncio.sleep(30)  # the rest of the stream is never waited for
        yield FINAL

    seen: list[Accepted] = []

    async def accepted(event: Accepted) -> None:
        seen.append(event)

    client = _client(lambda r: httpx.Response(200, content=body(), headers={"X-Trace-Id": "tr-4"}))
    submitted = await asyncio.wait_for(
        client.submit(ImagineRequest(prompt="x", callback_url="https://bot.test/cb/s"), progress=True,
                      on_accepted=accepted),
        timeout=5,
    )  # fmt: skip
    assert (submitted.task_id, submitted.trace_id) == ("t-9", "tr-4") and seen == [Accepted("tr-4")]


async def test_submit_sends_ndjson_accept_only_with_progress() -> None:
    accepts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        accepts.append(request.headers["accept"])
        return httpx.Response(200, json={"success": True, "task_id": "t1", "id": "t1"})

    client = _client(handler)
    await client.submit(ImagineRequest(prompt="x", callback_url="https://b.test/c"), progress=True)
    await client.submit(ImagineRequest(prompt="x", callback_url="https://b.test/c"))
    await client.retrieve_batch(["t1"])
    assert accepts == ["application/x-ndjson", "application/json", "application/json"]


async def test_submit_answer_without_a_task_is_broken() -> None:
    client = _client(lambda r: httpx.Response(200, content=b"\n\n", headers={"X-Trace-Id": "tr-5"}))
    with pytest.raises(StreamBroken) as info:
        await client.submit(ImagineRequest(prompt="x", callback_url="https://b.test/c"))
    assert info.value.trace_id == "tr-5"


# -- errors: documented codes and trace ids -------------------------------------------------------


@pytest.mark.parametrize("code", ["token_mismatched", "api_not_implemented"])
async def test_configuration_codes_are_misconfigured_with_their_trace_id(code: str) -> None:
    body = {"success": False, "error": {"code": code, "message": "for the operator"}, "trace_id": "tr-6"}
    client = _client(lambda r: httpx.Response(400, json=body))
    with pytest.raises(Misconfigured) as info:
        await _events(client)
    assert (info.value.code, info.value.trace_id, info.value.status) == (code, "tr-6", 400)


async def test_an_error_given_as_a_bare_string() -> None:
    client = _client(lambda r: httpx.Response(400, json={"error": "bad_request", "trace_id": "tr-7"}))
    with pytest.raises(InvalidRequest) as info:
        await client.retrieve_batch(["t1"])
    assert info.value.trace_id == "tr-7"


def _httpx_errors() -> list[type[Exception]]:
    found = {
        cls
        for _, cls in inspect.getmembers(httpx, inspect.isclass)
        if issubclass(cls, Exception) and cls.__module__.startswith("httpx") and cls is not httpx.CookieConflict
    }
    return sorted(found, key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", _httpx_errors(), ids=lambda c: c.__name__)
def test_every_httpx_exception_is_translated(cls: type[Exception]) -> None:
    request = httpx.Request("POST", "https://api.test/midjourney/imagine")
    if cls is httpx.HTTPStatusError:
        exc: Exception = cls("boom", request=request, response=httpx.Response(502, request=request))
    else:
        try:
            exc = cls("boom")
        except TypeError:  # RequestNotRead() and friends take no message
            exc = cls()
    translated = _translated(exc, "t1", "tr")
    assert isinstance(translated, ImagineError), cls
    assert translated.trace_id == "tr"


def test_a_failed_connect_is_known_not_sent() -> None:
    assert isinstance(_translated(httpx.ConnectError("refused"), None, None), NotSent)
    assert not isinstance(_translated(httpx.ReadError("reset"), None, None), NotSent)


async def test_tasks_api_forms() -> None:
    bodies: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"items": [{"id": "t1", "trace_id": "tr", "state": "pending"}, "junk"]})

    client = _client(handler)
    assert [r.id for r in await client.retrieve_batch(["t1"], limit=1)] == ["t1"]
    await client.retrieve_batch(trace_ids=["tr"])
    await client.retrieve_batch(offset=12)
    assert bodies == [
        {"action": "retrieve_batch", "offset": 0, "limit": 1, "ids": ["t1"]},
        {"action": "retrieve_batch", "offset": 0, "limit": 12, "trace_ids": ["tr"]},
        {"action": "retrieve_batch", "offset": 12, "limit": 12},
    ]

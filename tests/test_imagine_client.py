"""The Imagine client against httpx.MockTransport: no server needed."""

import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

import bot.imagine.errors as errors
from bot.imagine import (
    ConnectionLost,
    ImagineClient,
    ImagineRequest,
    ImagineResult,
    InvalidRequest,
    Misconfigured,
    RateLimited,
    StreamBroken,
    TaskFailed,
)


def _line(progress: int, **extra: object) -> str:
    body = {"success": True, "task_id": "t1", "image_id": f"i{progress}", "progress": progress,
            "image_url": f"https://cdn.test/{progress}.png", "actions": [], **extra}  # fmt: skip
    return json.dumps(body) + "\n"


FINAL = _line(100, actions=["upscale1", "reroll"], raw_image_url="https://cdn.test/raw.png", future_field=1)


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> ImagineClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ImagineClient(http, base_url="https://api.test", token="secret", platform_url="https://pf.test",
                         platform_token="pf-secret")  # fmt: skip


async def _collect(client: ImagineClient) -> list[int]:
    return [r.progress async for r in client.stream(ImagineRequest(prompt="a fox")) if isinstance(r, ImagineResult)]


async def test_stream_yields_every_line_and_sends_ndjson_accept() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=(_line(10) + "\n" + _line(50) + FINAL).encode())

    assert await _collect(_client(handler)) == [10, 50, 100]
    request = seen[0]
    assert request.url == "https://api.test/midjourney/imagine"
    assert request.headers["accept"] == "application/x-ndjson"
    assert request.headers["authorization"] == "Bearer secret"
    assert json.loads(request.content) == {"prompt": "a fox", "action": "generate"}


async def test_stream_without_final_line_is_broken_and_keeps_task_id() -> None:
    client = _client(lambda r: httpx.Response(200, content=(_line(10) + _line(40)).encode()))
    with pytest.raises(StreamBroken) as info:
        await _collect(client)
    assert info.value.task_id == "t1"


async def test_malformed_line_is_an_error_not_skipped() -> None:
    client = _client(lambda r: httpx.Response(200, content=(_line(10) + "{not json\n" + FINAL).encode()))
    with pytest.raises(StreamBroken, match="ValidationError"):  # accepted: broken, looked for, never resent
        await _collect(client)


async def test_failure_line_raises_task_failed() -> None:
    bad = json.dumps({"success": False, "task_id": "t1", "error": {"code": "forbidden", "message": "nope"}})
    client = _client(lambda r: httpx.Response(200, content=(_line(10) + bad + "\n").encode()))
    with pytest.raises(TaskFailed) as info:
        await _collect(client)
    assert (info.value.code, info.value.task_id) == ("forbidden", "t1")


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"error": {"code": "bad_request", "message": "Unrecognized argument(s): `--x`"}}, InvalidRequest),
        (401, {"error": {"code": "invalid_token", "message": "bad"}}, Misconfigured),
        (429, {"error": {"code": "too_many_requests", "message": "slow"}}, RateLimited),
    ],
)
async def test_http_errors_map_to_the_tree(status: int, body: dict[str, object], cls: type) -> None:
    client = _client(lambda r: httpx.Response(status, json=body, headers={"retry-after": "7"}))
    with pytest.raises(cls) as info:
        await _collect(client)
    if isinstance(info.value, RateLimited):
        assert info.value.retry_after == 7


async def test_transport_errors_are_translated() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ConnectionLost):
        await _collect(_client(handler))


async def test_retrieve_batch() -> None:
    record = {"id": "t1", "created_at": 1, "response": json.loads(FINAL), "unknown": True}

    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["action"] == "retrieve_batch"
        return httpx.Response(200, json={"items": [record, {"id": "t2"}], "count": 2})

    batch = await _client(handler).retrieve_batch(["t1", "t2"])
    outcome = batch[0].outcome()
    assert outcome is not None and outcome.is_final and outcome.image_id == "i100"
    assert [t.id for t in batch] == ["t1", "t2"] and batch[1].outcome() is None


async def test_upload_uses_platform_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url == "https://pf.test/api/v1/files/"
        assert request.headers["authorization"] == "Bearer pf-secret"
        assert b'name="file"' in request.content
        return httpx.Response(200, json={"file_url": "https://cdn.test/f.png"})

    assert await _client(handler).upload(b"\x89PNG", "a.png", "image/png") == "https://cdn.test/f.png"


async def test_stall_after_first_line_keeps_the_task_id() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield _line(10).encode()
        raise httpx.ReadTimeout("silence")

    client = _client(lambda r: httpx.Response(200, content=body()))
    with pytest.raises(StreamBroken) as info:
        await _collect(client)
    assert info.value.task_id == "t1"


async def test_describe_and_shorten_answers_become_clean_prompts() -> None:
    seen: list[tuple[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, json.loads(request.content)))
        if request.url.path.endswith("/describe"):
            return httpx.Response(200, json={"descriptions": ["1️⃣ a fox --ar 3:2", "2️⃣ an owl", " ", 3]})
        return httpx.Response(200, json={"prompts": "1. short fox\n2) shorter"})

    client = _client(handler)
    assert await client.describe("https://cdn.test/p.png") == ["a fox --ar 3:2", "an owl"]
    assert await client.shorten("a very long fox") == ["short fox", "shorter"]
    assert seen == [("/midjourney/describe", {"image_url": "https://cdn.test/p.png"}),
                    ("/midjourney/shorten", {"prompt": "a very long fox"})]  # fmt: skip


async def test_a_describe_error_is_an_imagine_error_with_its_trace_id() -> None:
    from bot.imagine import Misconfigured

    client = _client(lambda r: httpx.Response(401, json={"error": {"code": "invalid_token", "message": "x"},
                                                         "trace_id": "tr-1"}))  # fmt: skip
    with pytest.raises(Misconfigured) as caught:
        await client.describe("https://cdn.test/p.png")
    assert caught.value.trace_id == "tr-1"


def test_what_breaks_after_an_answer_began_is_never_a_reason_to_resend() -> None:
    from bot.imagine.boundary import _translated

    assert isinstance(_translated(ValueError("x"), None, None), errors.Malformed)
    assert isinstance(_translated(ValueError("x"), "t1", "tr", accepted=True), StreamBroken)
    assert isinstance(_translated(httpx.ReadError("cut"), "t1", None, accepted=True), StreamBroken)
    assert isinstance(_translated(TimeoutError(), "t1", None, accepted=True), StreamBroken)

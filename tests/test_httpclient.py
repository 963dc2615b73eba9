"""Responses of the bot's HTTP client are freed by reference counting (no cycle for the GC)."""

import gc
import weakref

import httpx

from bot.runtime.httpclient import AsyncClient


def _client() -> AsyncClient:
    return AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"line1\nline2\n"))
    )


async def _freed_without_gc(make: object) -> bool:
    gc.disable()
    try:
        ref = await make()  # type: ignore[operator]
        return ref() is None
    finally:
        gc.enable()


async def test_plain_and_streamed_responses_are_freed_by_refcount() -> None:
    async with _client() as client:

        async def plain() -> weakref.ref[httpx.Response]:
            response = await client.get("https://x.test/a")
            assert response.content == b"line1\nline2\n"
            return weakref.ref(response)

        async def streamed() -> weakref.ref[httpx.Response]:
            async with client.stream("GET", "https://x.test/b") as response:
                assert [line async for line in response.aiter_lines()] == ["line1", "line2"]
            return weakref.ref(response)

        assert await _freed_without_gc(plain)
        assert await _freed_without_gc(streamed)


async def test_plain_httpx_would_need_the_gc() -> None:
    """Documents why the subclass exists; if httpx fixes the cycle, this test says so."""
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"x"))
    async with httpx.AsyncClient(transport=transport) as client:

        async def plain() -> weakref.ref[httpx.Response]:
            return weakref.ref(await client.get("https://x.test/a"))

        assert not await _freed_without_gc(plain)

"""An `httpx.AsyncClient` whose responses are freed by reference counting, not by the GC.

httpx binds each response to its body stream and the stream back to the response (a reference
cycle; see encode/httpx#3733). Every request then leaves ~40 objects that only the cyclic garbage
collector can free; under load they reach the oldest generation, and one collection destroying
tens of thousands of them stalled the event loop for 60–110 ms in the 1,000-job benchmark
(scripts/bench.py). Once a response is closed its stream is replaced, which breaks the cycle:
the same benchmark then stays under 50 ms. Used for AceData and, through
`bot.telegram.request.TelegramRequest`, for the Bot API.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

_EMPTY = b""


def _unbind(response: httpx.Response) -> None:
    response.stream = httpx.ByteStream(_EMPTY)


class AsyncClient(httpx.AsyncClient):
    async def send(self, request: httpx.Request, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        response = await super().send(request, stream=stream, **kwargs)
        if not stream:  # the body is read and the stream closed already
            _unbind(response)
        return response

    @contextlib.asynccontextmanager
    async def stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[httpx.Response]:
        response: httpx.Response | None = None
        try:
            async with super().stream(*args, **kwargs) as response:
                yield response
        finally:
            if response is not None:
                _unbind(response)

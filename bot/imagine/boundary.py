"""The Imagine boundary's edge: foreign exceptions (httpx, JSON, pydantic) become the Imagine error
tree here and nowhere else (`_translated`, total over httpx), HTTP error answers become
`ImagineAPIError`s, and every request is counted in the metrics."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator

import httpx
from pydantic import ValidationError

from bot.imagine.errors import ConnectionLost, ImagineError, Malformed, NotSent, StreamBroken, api_error
from bot.imagine.models import ErrorBody
from bot.runtime import metrics

TRACE_HEADERS = ("x-trace-id", "trace-id", "x-request-id")
Ids = Callable[[], tuple[str | None, str | None]]  # (task_id, trace_id) known so far


def _translated(
    exc: Exception, task_id: str | None, trace_id: str | None, *, accepted: bool = False
) -> ImagineError | None:
    """The Imagine error for a foreign exception (None: not ours to translate). Total over httpx:
    every `httpx.HTTPError`, `httpx.StreamError` and `httpx.InvalidURL` becomes an ImagineError.
    Once upstream `accepted` the request (an answer began), whatever breaks is `StreamBroken`: the
    task may be running and charged, so it is looked for, never sent again."""
    ids = {"task_id": task_id, "trace_id": trace_id}
    name = type(exc).__name__
    if accepted and isinstance(exc, httpx.HTTPError | httpx.StreamError | ValueError | TimeoutError):
        return StreamBroken(f"the answer broke: {name}: {exc}", **ids)  # ValidationError is a ValueError
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.UnsupportedProtocol
                  | httpx.ProxyError | httpx.InvalidURL):  # fmt: skip
        return NotSent(f"could not connect ({name}: {exc})", **ids)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return StreamBroken(f"no answer in time ({name})", **ids)
    if isinstance(exc, httpx.TransportError | httpx.StreamError):
        return ConnectionLost(f"network error: {name}: {exc}", **ids)
    if isinstance(exc, httpx.HTTPStatusError):
        return api_error(exc.response.status_code, None, str(exc), trace_id=trace_id)
    if isinstance(exc, httpx.HTTPError):  # DecodingError, TooManyRedirects, and any later addition
        return Malformed(f"unusable answer: {name}: {exc}", **ids)
    if isinstance(exc, ValueError | ValidationError):  # JSONDecodeError is a ValueError
        return Malformed(f"unreadable answer: {exc}", **ids)
    return None


def _no_ids() -> tuple[str | None, str | None]:
    return None, None


def _never() -> bool:
    return False


@contextlib.contextmanager
def _translate(ids: Ids = _no_ids, accepted: Callable[[], bool] = _never) -> Iterator[None]:
    """Turn transport failures into the Imagine error tree; our own errors pass through.
    `ids` and `accepted` are asked when something fails (a stream learns them on the way)."""
    try:
        yield
    except ImagineError:
        raise
    except Exception as exc:
        error = _translated(exc, *ids(), accepted=accepted())
        if error is None:
            raise
        raise error from exc


def _count(endpoint: str, status: int) -> None:
    """One AceData request in the metrics: ok, too_many_requests, or its HTTP status."""
    metrics.acedata(endpoint, "ok" if status < 400 else "too_many_requests" if status == 429 else str(status))


def _trace_of(headers: httpx.Headers) -> str | None:
    for name in TRACE_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)
    return None


def _error_from_response(status: int, body: bytes, headers: httpx.Headers) -> ImagineError:
    code: str | None = None
    message: str | None = None
    trace_id = _trace_of(headers)
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict):
            error = ErrorBody.of(data.get("error"))
            if error is not None:
                code, message = error.code, error.message
            trace_id = str(data["trace_id"]) if data.get("trace_id") else trace_id
    retry_after: float | None = None
    with contextlib.suppress(TypeError, ValueError):
        retry_after = float(headers.get("retry-after", ""))
    if message is None:
        message = body[:200].decode("utf-8", "replace").strip() or None
    return api_error(status, code, message, retry_after=retry_after, trace_id=trace_id)



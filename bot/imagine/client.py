"""HTTP client for the AceData Midjourney API.

The caller owns the `httpx.AsyncClient` (and closes it); this class never reads the environment.
`_translate` is the single place where httpx and JSON exceptions become `ImagineError`s.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any, cast

import httpx
from pydantic import ValidationError

from bot.imagine.errors import ImagineError, NetworkError, StreamBroken, TaskFailed, Unavailable, api_error
from bot.imagine.models import ImagineRequest, ImagineResult, TaskRecord

NDJSON = "application/x-ndjson"


def _translated(exc: Exception, task_id: str | None) -> ImagineError | None:
    """The Imagine error for a foreign exception (None: not ours to translate)."""
    if isinstance(exc, httpx.TimeoutException):
        return StreamBroken(f"no answer in time ({type(exc).__name__})", task_id=task_id)
    if isinstance(exc, httpx.TransportError | httpx.StreamError):
        return NetworkError(f"network error: {type(exc).__name__}: {exc}", task_id=task_id)
    if isinstance(exc, ValueError | ValidationError):  # JSONDecodeError is a ValueError
        return Unavailable(200, "malformed", f"unreadable answer: {exc}", task_id=task_id)
    return None


@contextlib.contextmanager
def _translate(task_id: Callable[[], str | None] = lambda: None) -> Iterator[None]:
    """Turn transport failures into the Imagine error tree; our own errors pass through.
    `task_id` is asked when something fails (a stream learns its task id on the way)."""
    try:
        yield
    except ImagineError:
        raise
    except Exception as exc:
        error = _translated(exc, task_id())
        if error is None:
            raise
        raise error from exc


def _error_from_response(status: int, body: bytes, headers: httpx.Headers) -> ImagineError:
    code: str | None = None
    message: str | None = None
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            code = data["error"].get("code")
            message = data["error"].get("message")
    retry_after: float | None = None
    with contextlib.suppress(TypeError, ValueError):
        retry_after = float(headers.get("retry-after", ""))
    if message is None:
        message = body[:200].decode("utf-8", "replace").strip() or None
    return api_error(status, code, message, retry_after=retry_after)


def _checked(result: ImagineResult) -> ImagineResult:
    if not result.success or result.error is not None:
        error = result.error
        raise TaskFailed(
            error.code if error else "unknown",
            error.message if error else "the task failed",
            task_id=result.task_id,
        )
    return result


class ImagineClient:
    """`stream()` for live progress, `submit()` for callback/async mode, `retrieve*()` to catch up."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        token: str,
        platform_url: str,
        platform_token: str,
        stall_timeout: float = 120.0,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._platform = platform_url.rstrip("/")
        self._platform_headers = {"Authorization": f"Bearer {platform_token}"}
        self._stream_timeout = httpx.Timeout(30.0, read=stall_timeout)

    async def stream(self, request: ImagineRequest) -> AsyncGenerator[ImagineResult, None]:
        """Yield every progress line, ending with the final one.

        Raises `StreamBroken` (with the task id when known) if the stream stops early or stalls for
        longer than `stall_timeout`: the task may still finish upstream, so callers poll for it.
        """
        task_id: str | None = None
        headers = {**self._headers, "Accept": NDJSON}
        with _translate(lambda: task_id):
            async with self._http.stream(
                "POST",
                f"{self._base}/midjourney/imagine",
                json=request.body(),
                headers=headers,
                timeout=self._stream_timeout,
            ) as response:
                if response.status_code >= 400:
                    raise _error_from_response(response.status_code, await response.aread(), response.headers)
                # aclosing: a generator left to the garbage collector is finalized there, in bulk,
                # which shows up as event-loop stalls under load.
                async with contextlib.aclosing(
                    cast(AsyncGenerator[str, None], response.aiter_lines())
                ) as lines:
                    async for line in lines:
                        if not line.strip():
                            continue
                        try:
                            result = ImagineResult.model_validate_json(line)
                        except ValidationError as exc:
                            raise StreamBroken(
                                f"malformed stream line: {line[:200]!r}", task_id=task_id
                            ) from exc
                        task_id = result.task_id or task_id
                        yield _checked(result)
                        if result.is_final:
                            return
        raise StreamBroken("the stream ended before the final result", task_id=task_id)

    async def submit(self, request: ImagineRequest, *, progress: bool = False) -> str:
        """Start a task without waiting for it (`callback_url` set, or async); returns its id.
        With `progress`, every progress line is POSTed to the callback too, not only the result."""
        body = request.body()
        if not request.callback_url:
            body["async"] = True
        headers = {"Accept": NDJSON} if progress else None
        data = await self._post_json(f"{self._base}/midjourney/imagine", body, headers)
        task_id = data.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise Unavailable(200, "malformed", "the answer carried no task_id")
        return task_id

    async def retrieve(self, task_id: str) -> TaskRecord:
        data = await self._post_json(f"{self._base}/midjourney/tasks", {"action": "retrieve", "id": task_id})
        with _translate(lambda: task_id):
            return TaskRecord.model_validate(data)

    async def retrieve_batch(self, task_ids: list[str]) -> list[TaskRecord]:
        data = await self._post_json(
            f"{self._base}/midjourney/tasks", {"action": "retrieve_batch", "ids": task_ids}
        )
        items = data.get("items") or []
        with _translate():
            return [
                TaskRecord.model_validate(item) for item in items if isinstance(item, dict) and item.get("id")
            ]

    async def upload(self, data: bytes, filename: str, content_type: str) -> str:
        """Host bytes on AceData's file service; returns the public URL."""
        with _translate():
            response = await self._http.post(
                f"{self._platform}/api/v1/files/",
                files={"file": (filename, data, content_type)},
                headers=self._platform_headers,
                timeout=httpx.Timeout(60.0),
            )
            if response.status_code >= 400:
                raise _error_from_response(response.status_code, response.content, response.headers)
            url = response.json().get("file_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Unavailable(response.status_code, "malformed", "the upload answer carried no file_url")
        return url

    async def _post_json(
        self, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        task_id = body.get("id") if isinstance(body.get("id"), str) else None
        with _translate(lambda: task_id):
            response = await self._http.post(
                url, json=body, headers={**self._headers, **(headers or {})}, timeout=httpx.Timeout(30.0)
            )
            if response.status_code >= 400:
                raise _error_from_response(response.status_code, response.content, response.headers)
            data = response.json()
        if not isinstance(data, dict):
            raise Unavailable(response.status_code, "malformed", "the answer was not a JSON object")
        if data.get("success") is False and isinstance(data.get("error"), dict):
            raise _error_from_response(
                response.status_code if response.status_code >= 400 else 400,
                response.content,
                response.headers,
            )
        return data

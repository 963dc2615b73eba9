"""HTTP client for the AceData Midjourney API.

The caller owns the `httpx.AsyncClient` (and closes it); this class never reads the environment.
`boundary._translated` is the single place where httpx and JSON exceptions become `ImagineError`s.

Upstream's timing shapes this module: an ndjson answer is silent until Midjourney starts drawing
(its queue, relax mode, a busy account: minutes), so there is no read timeout before the first
line; the stall timeout applies only between lines once the task id is known. The submit's trace
id (when the answer's headers carry one) is reported at once, so a task whose first line never
arrives can still be found through the tasks API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, cast

import httpx
from pydantic import ValidationError

from bot.imagine.boundary import _count, _error_from_response, _trace_of, _translate
from bot.imagine.errors import (
    Malformed,
    StreamBroken,
    TaskFailed,
)
from bot.imagine.models import (
    Accepted,
    ErrorBody,
    ImagineRequest,
    ImagineResult,
    Submitted,
    TaskRecord,
    prompt_list,
)
from bot.runtime import metrics

NDJSON = "application/x-ndjson"
JSON = "application/json"
TASKS_LIMIT = 12  # AceData's default page size for retrieve_batch; always sent explicitly
_FIRST_ANSWER_MAX = 1 << 20  # bytes read while looking for the first JSON object of an answer

def _checked(result: ImagineResult, trace_id: str | None) -> ImagineResult:
    if result.failed:
        error = result.error
        raise TaskFailed(
            error.code if error else "unknown",
            error.message if error else "the task failed",
            task_id=result.task_id,
            trace_id=result.trace_id or trace_id,
        )
    return result


async def _first_object(chunks: AsyncIterator[str]) -> Any:
    """The first JSON value of an answer, whether the body is one (possibly pretty-printed) object
    or a stream of ndjson lines; None when the answer ends before one is complete."""
    decoder = json.JSONDecoder()
    buffer = ""
    async for chunk in chunks:
        buffer += chunk
        text = buffer.lstrip()
        if not text:
            continue
        try:
            value, _ = decoder.raw_decode(text)
        except ValueError:
            if len(buffer) > _FIRST_ANSWER_MAX:
                raise
            continue
        return value
    if buffer.strip():
        json.loads(buffer)  # raises: the answer ended inside something that is not JSON
    return None


class ImagineClient:
    """`stream()` for live progress, `submit()` for callback mode, `retrieve_batch()` to catch up."""

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
        self._stall = stall_timeout
        self._submit_timeout = httpx.Timeout(30.0, read=None)

    async def stream(self, request: ImagineRequest) -> AsyncGenerator[Accepted | ImagineResult, None]:
        """Yield `Accepted` when the answer begins, then every progress line, ending with the final one.

        Raises `StreamBroken` (with the task and trace ids when known) if the stream ends early, or
        stalls for longer than `stall_timeout` after a line named the task: the task may still
        finish upstream, so callers look for it through the tasks API.
        """
        task_id: str | None = None
        trace_id: str | None = None
        started = False
        with _translate(lambda: (task_id, trace_id), lambda: started):
            async with self._imagine(request.body(), NDJSON) as (response, accepted):
                trace_id, started = accepted.trace_id, True
                yield accepted
                # aclosing: a generator left to the garbage collector is finalized there, in bulk,
                # which shows up as event-loop stalls under load.
                async with contextlib.aclosing(
                    cast(AsyncGenerator[str, None], response.aiter_lines())
                ) as lines:
                    while True:
                        # A stall after the task was named, a cut, an unreadable line: StreamBroken.
                        async with asyncio.timeout(self._stall if task_id else None):
                            line = await anext(lines, None)
                        if line is None:
                            break
                        if not line.strip():
                            continue
                        result = ImagineResult.model_validate_json(line)
                        task_id = result.task_id or task_id
                        trace_id = result.trace_id or trace_id
                        yield _checked(result, trace_id)
                        if result.is_final:
                            return
        raise StreamBroken("the stream ended before the final result", task_id=task_id, trace_id=trace_id)

    async def submit(
        self,
        request: ImagineRequest,
        *,
        progress: bool = False,
        on_accepted: Callable[[Accepted], Awaitable[None]] | None = None,
    ) -> Submitted:
        """Start a task without waiting for it (`callback_url` set, or async); returns its id.

        With `progress`, every progress line is POSTed to the callback too, not only the result.
        How upstream answers that combination is not documented, so the task id is read from the
        first JSON object, whether the body is one object or a stream of lines, and the rest is
        not read. That first object may take as long to come as a stream's first line.
        """
        body = request.body()
        if not request.callback_url:
            body["async"] = True
        trace_id: str | None = None
        started = False
        # Accepted (200) but unreadable: the task may exist and be charged. Never "try again": the
        # caller looks for it (and its callbacks still arrive): `_translated` makes it StreamBroken.
        with _translate(lambda: (None, trace_id), lambda: started):
            async with self._imagine(body, NDJSON if progress else JSON) as (response, accepted):
                trace_id, started = accepted.trace_id, True
                if on_accepted is not None:
                    await on_accepted(accepted)
                async with contextlib.aclosing(cast(AsyncGenerator[str, None], response.aiter_text())) as chunks:
                    first = await _first_object(chunks)
                result = ImagineResult.model_validate(first) if isinstance(first, dict) else None
        if result is None:
            raise StreamBroken("the answer named no task", trace_id=trace_id)
        trace_id = result.trace_id or trace_id
        if result.failed:
            error = result.error or ErrorBody()
            raise TaskFailed(error.code, error.message, trace_id=trace_id)
        if not result.task_id:
            raise StreamBroken("the answer carried no task_id", trace_id=trace_id)
        return Submitted(result.task_id, trace_id)

    @contextlib.asynccontextmanager
    async def _imagine(self, body: dict[str, Any], accept: str) -> AsyncIterator[tuple[httpx.Response, Accepted]]:
        """POST an imagine request and hold its answer open once its headers are in (an error
        status raises at once). No read timeout: upstream is silent until drawing starts, and the
        job's own deadline (and the `timeout` sent upstream) bound the wait instead."""
        answered = False
        try:
            async with self._http.stream(
                "POST",
                f"{self._base}/midjourney/imagine",
                json=body,
                headers={**self._headers, "Accept": accept},
                timeout=self._submit_timeout,
            ) as response:
                answered = True
                _count("imagine", response.status_code)
                if response.status_code >= 400:
                    raise _error_from_response(response.status_code, await response.aread(), response.headers)
                yield response, Accepted(_trace_of(response.headers))
        except (httpx.HTTPError, httpx.StreamError) as exc:
            if not answered:
                metrics.acedata("imagine", "timeout" if isinstance(exc, httpx.TimeoutException) else "network")
            raise

    async def retrieve_batch(
        self,
        ids: list[str] | None = None,
        *,
        trace_ids: list[str] | None = None,
        offset: int = 0,
        limit: int = TASKS_LIMIT,
    ) -> list[TaskRecord]:
        """Tasks by id, by trace id, or (neither given) the account's most recent ones, newest first.
        At most `limit` come back, so callers ask for at most that many ids at once."""
        body: dict[str, Any] = {"action": "retrieve_batch", "offset": offset, "limit": limit}
        if ids is not None:
            body["ids"] = ids
        if trace_ids is not None:
            body["trace_ids"] = trace_ids
        data = await self._post_json(f"{self._base}/midjourney/tasks", body)
        items = data.get("items") or []
        records: list[TaskRecord] = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("id"):
                with contextlib.suppress(ValidationError):  # one odd record must not hide the others
                    records.append(TaskRecord.model_validate(item))
        return records

    async def describe(self, image_url: str) -> list[str]:
        """Midjourney's four prompts for a public picture (`POST /midjourney/describe`), without the
        1️⃣–4️⃣ marks, ready to reuse."""
        data = await self._post_json(f"{self._base}/midjourney/describe", {"image_url": image_url}, timeout=120.0)
        return prompt_list(data.get("descriptions", data.get("description")))

    async def shorten(self, prompt: str) -> list[str]:
        """Shorter versions of a prompt (`POST /midjourney/shorten`)."""
        data = await self._post_json(f"{self._base}/midjourney/shorten", {"prompt": prompt}, timeout=120.0)
        return prompt_list(data.get("prompts", data.get("shortened_prompts")))

    async def translate(self, text: str) -> str:
        """English for a prompt's words (`POST /midjourney/translate` `{content}`). The answer's
        field is not documented: the first text among `content`, `translation`, `text`, `data`."""
        data = await self._post_json(f"{self._base}/midjourney/translate", {"content": text}, timeout=30.0)
        for name in ("content", "translation", "translated", "text", "data", "result"):
            value = data.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
        raise Malformed("the translation answer carried no text")

    async def upload(self, data: bytes, filename: str, content_type: str) -> str:
        """Host bytes on AceData's file service; returns the public URL."""
        with _translate():
            response = await self._http.post(
                f"{self._platform}/api/v1/files/",
                files={"file": (filename, data, content_type)},
                headers={**self._platform_headers, "Accept": JSON},
                timeout=httpx.Timeout(60.0),
            )
            if response.status_code >= 400:
                raise _error_from_response(response.status_code, response.content, response.headers)
            url = response.json().get("file_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Malformed("the upload answer carried no file_url")
        return url

    async def _post_json(self, url: str, body: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        endpoint = url.rsplit("/", 1)[-1]
        with _translate():
            try:
                response = await self._http.post(
                    url, json=body, headers={**self._headers, "Accept": JSON}, timeout=httpx.Timeout(timeout)
                )
            except httpx.HTTPError as exc:
                metrics.acedata(endpoint, "timeout" if isinstance(exc, httpx.TimeoutException) else "network")
                raise
            _count(endpoint, response.status_code)
            if response.status_code >= 400:
                raise _error_from_response(response.status_code, response.content, response.headers)
            data = response.json()
        if not isinstance(data, dict):
            raise Malformed("the answer was not a JSON object")
        if data.get("success") is False and data.get("error"):
            raise _error_from_response(400, response.content, response.headers)
        return data

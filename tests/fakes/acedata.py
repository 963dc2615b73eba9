"""A fake AceData service: Midjourney imagine + tasks API, platform file upload, image hosting.

It follows /work/shared/imagine-api.md (and, where they differ, the seed). Jobs run as background
tasks of the server loop,
independent of the HTTP request that created them (a bot that disconnects or restarts can still
learn the outcome through the tasks API or the callback), and every result URL points to a real
PNG served here. Validation mirrors the upstream rules the bot depends on: actions must come
from the image's ``actions``, masks must match the raw image size, image prompts must be
downloadable images.

Timing and shapes follow the references too: a task first waits in Midjourney's queue
(``queue_delay``, the stream silent meanwhile, the task ``pending``), then draws (``generating``) and
ends ``finished`` or ``failed``; every answer carries an ``X-Trace-Id`` header (``trace_header``) and
every error body its ``trace_id``; the tasks API answers ``id`` / ``ids`` / ``trace_id`` /
``trace_ids`` / ``offset`` / ``limit``; unknown endpoints answer 400 ``api_not_implemented``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import io
import json
import mimetypes
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .acedata_tools import PromptTools
from .base import FakeServer, HttpError
from .forms import parse_multipart
from .images import Color, make_png, sniff_image

JSON = dict[str, Any]
Size = tuple[int, int]
StreamItem = tuple[JSON, bool] | None  # (line, is_final); None ends the stream (shutdown)

UPSCALES = frozenset({"upscale1", "upscale2", "upscale3", "upscale4"})
ENHANCES = frozenset({"upscale_2x", "upscale_4x", "upscale_subtle", "upscale_creative"})
VALID_ACTIONS = frozenset(
    {"generate", "reroll", "variation1", "variation2", "variation3", "variation4"}
    | UPSCALES
    | ENHANCES
    | {"variation_subtle", "variation_strong", "variation_region", "zoom_out_2x", "zoom_out_1_5x"}
    | {"pan_left", "pan_right", "pan_up", "pan_down"}
)
GRID_ACTIONS = (
    "upscale1 upscale2 upscale3 upscale4 reroll variation1 variation2 variation3 variation4".split()
)
SINGLE_ACTIONS = (
    "upscale_2x upscale_4x variation_subtle variation_strong zoom_out_2x zoom_out_1_5x "
    "pan_left pan_right pan_up pan_down".split()
)
MODES = frozenset({"fast", "relax", "turbo"})
ERROR_STATUS = {
    "bad_request": 400,
    "invalid_token": 401,
    "token_expired": 401,
    "no_token": 401,
    "used_up": 403,
    "disabled": 403,
    "forbidden": 403,
    "no_api": 404,
    "token_mismatched": 400,
    "api_not_implemented": 400,
    "too_many_requests": 429,
    "rate_limited": 429,
    "api_error": 500,
    "timeout": 504,
}
NDJSON = "application/x-ndjson"
MAX_IMAGE_PROMPTS = 5
_URL_RE = re.compile(r"https?://\S+")
_PARAM_RE = re.compile(r"(?<!\S)--([A-Za-z][\w-]*)")


def ace_error(status: int, code: str, message: str) -> HttpError:
    """AceData's error body (the imagine endpoint replaces the trace id with its request's)."""
    body = {"success": False, "error": {"code": code, "message": message}, "trace_id": str(uuid.uuid4())}
    return HttpError(status, body)


TASKS_LIMIT = 12  # the tasks API's default page size


def _bad(message: str) -> HttpError:
    return ace_error(400, "bad_request", message)


def _urls_in(value: Any) -> list[str]:
    """Every http(s) URL inside a JSON value (strings at any depth)."""
    if isinstance(value, str):
        return _URL_RE.findall(value)
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls_in(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls_in(item)]
    return []


def _json_object(raw: bytes) -> JSON:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _bad("Request body must be a JSON object")
    return body


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class FakeAceData(PromptTools, FakeServer):
    """Fake of api.acedata.cloud (+ platform upload) behind one server; see module doc."""

    def __init__(self, token: str, platform_token: str | None = None) -> None:
        super().__init__()
        self.token = token
        self.platform_token = platform_token
        # -- behaviour knobs (plain attributes, tests may change them) --
        self.steps = 3
        self.step_delay = 0.2
        self.grid_size: Size = (512, 512)
        self.grid_raw_size: Size = (1024, 1024)
        self.single_size: Size = (512, 512)
        self.single_raw_size: Size = (1024, 1024)
        self.preview_size: Size = (128, 128)
        self.grid_color: Color = (70, 110, 200)
        self.single_color: Color = (200, 120, 60)
        self.preview_color: Color = (150, 150, 150)
        self.grid_actions: list[str] = list(GRID_ACTIONS)
        self.single_actions: list[str] = list(SINGLE_ACTIONS)
        self.upscale_factors: dict[str, int] = dict.fromkeys(ENHANCES, 2)
        self.rejected_params: set[str] = {"bogus"}
        self.concurrency_limit: int | None = None  # None: unlimited; else 429 too_many_requests
        self.preview_ttl: float | None = 0.5  # previews answer 404 this long after the job ends
        self.fetch_timeout = 5.0
        self.queue_delay = 0.0  # seconds a task waits in Midjourney's queue; answers are silent meanwhile
        self.trace_header = True  # answers carry X-Trace-Id (upstream's request trace id)
        self.callback_answer = "object"  # ndjson + callback_url: "object" ({task_id}) or "ndjson" (lines)
        self.hide_tasks = False  # the tasks API lists no task (as if the submit never created one)
        self._tool_setup()
        # -- records --
        self.requests: list[JSON] = []
        self.received_urls: list[str] = []
        self.image_fetches: list[JSON] = []
        self.tasks: dict[str, JSON] = {}
        self.images: dict[str, JSON] = {}
        self.task_queries: list[JSON | None] = []
        self.uploads: list[JSON] = []
        self.callbacks: list[JSON] = []
        self.callback_statuses: list[int] = []
        self.submit_times: list[float] = []
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        # -- internals --
        self._image_specs: dict[str, tuple[int, int, Color, str]] = {}
        self._image_cache: dict[str, bytes] = {}
        self._files: dict[str, tuple[bytes, str]] = {}
        self._http_failures: list[tuple[int, str, str]] = []
        self._task_failures: list[tuple[str, str]] = []
        self._cut_at: int | None = None
        self._stall: tuple[int, float] | None = None
        self._drop_first: float | None = None
        self._subscribers: dict[str, list[asyncio.Queue[StreamItem]]] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._jobs: set[asyncio.Task[None]] = set()
        self._closing = False
        self._closing_event = asyncio.Event()

    # == app & lifecycle ======================================================================
    def _build_app(self) -> Starlette:
        routes = [
            Route("/midjourney/imagine", self._imagine_endpoint, methods=["POST"]),
            Route("/midjourney/tasks", self._tasks_endpoint, methods=["POST"]),
            Route("/{path:path}", self._no_api_endpoint, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/api/v1/files/", self._upload_endpoint, methods=["POST"]),
            Route("/api/v1/files", self._upload_endpoint, methods=["POST"]),
            Route("/images/{name}", self._image_endpoint, methods=["GET"]),
            Route("/files/{name}", self._file_endpoint, methods=["GET"]),
        ]
        routes.append(routes.pop(2))  # the catch-all goes last
        routes[2:2] = [
            Route("/midjourney/describe", self._describe_endpoint, methods=["POST"]),
            Route("/midjourney/shorten", self._shorten_endpoint, methods=["POST"]),
            Route("/midjourney/translate", self._translate_endpoint, methods=["POST"]),
        ]
        handlers = {HttpError: self._error_handler}
        return Starlette(routes=routes, exception_handlers=handlers)

    @staticmethod
    async def _error_handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HttpError)
        return exc.response()

    def _reset_loop_state(self) -> None:
        self._callback_client: httpx.AsyncClient | None = None
        self._closing = False
        self._closing_event = asyncio.Event()
        self._subscribers = {}
        self._done = {}
        self._jobs = set()

    async def _before_stop(self) -> None:
        """End streams and waiting requests at once so the server can shut down quickly."""
        self._closing = True
        self._closing_event.set()
        if self._callback_client is not None:
            await self._callback_client.aclose()
            self._callback_client = None
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(None)
        for event in self._done.values():
            event.set()

    def _describe(self) -> str:
        with self._lock:
            reqs = [
                f"  {(r['body'] or {}).get('action', 'generate')} -> {r['status']} task={r['task_id']}"
                for r in self.requests[-10:]
            ]
            tasks = [f"  {t['id']}: {t['action']} {t['state']}" for t in list(self.tasks.values())[-10:]]
        return (
            "imagine requests:\n"
            + "\n".join(reqs or ["  (none)"])
            + "\ntasks:\n"
            + "\n".join(tasks or ["  (none)"])
        )

    # == fault injection ======================================================================
    def fail_next(self, status: int, code: str, message: str = "injected failure", times: int = 1) -> None:
        """The next ``times`` imagine calls answer ``status`` with this error and start no job."""
        with self._lock:
            self._http_failures.extend([(status, code, message)] * times)

    def fail_task_next(self, code: str, message: str) -> None:
        """The next job emits one or two progress lines, then ends with this error."""
        with self._lock:
            self._task_failures.append((code, message))

    def cut_stream_at(self, progress: int) -> None:
        """The next ndjson stream ends right after its first line with progress >= ``progress``."""
        with self._lock:
            self._cut_at = progress

    def drop_before_first_line(self, after: float = 0.3) -> None:
        """The next ndjson answer ends ``after`` seconds into its silent start, before any line
        (a proxy or the network cutting it); the task itself goes on upstream."""
        with self._lock:
            self._drop_first = after

    def stall_stream_at(self, progress: int, seconds: float) -> None:
        """The next ndjson stream goes silent for ``seconds`` after that line (connection open)."""
        with self._lock:
            self._stall = (progress, seconds)

    # == helpers ==============================================================================
    def _injected_failure(self) -> None:
        with self._lock:
            failure = self._http_failures.pop(0) if self._http_failures else None
        if failure is not None:
            raise ace_error(*failure)

    async def _read_json(self, request: Request) -> JSON:
        return _json_object(await request.body())

    def _bad_request(self, message: str) -> Exception:
        return _bad(message)

    def _authorize(self, request: Request, token: str) -> None:
        header = request.headers.get("authorization", "")
        if header != f"Bearer {token}":
            reason = "Token is missing" if not header else "The token is invalid"
            raise ace_error(401, "invalid_token", reason)

    def _collect_urls(self, body: Any) -> None:
        with self._lock:
            self.received_urls.extend(_urls_in(body))

    async def _sleep_unless_closing(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing_event.wait(), seconds)

    # == imagine ==============================================================================
    async def _imagine_endpoint(self, request: Request) -> Response:
        raw = await request.body()
        trace_id = str(uuid.uuid4())
        record: JSON = {
            "body": None,
            "trace_id": trace_id,
            "headers": dict(request.headers),
            "t": time.monotonic(),
            "accept": request.headers.get("accept", ""),
            "status": None,
            "task_id": None,
            "mask_bytes": None,
            "mask_image": None,
        }
        with self._lock:
            self.requests.append(record)
        try:
            with contextlib.suppress(ValueError):
                record["body"] = json.loads(raw)
                self._collect_urls(record["body"])
            self._authorize(request, self.token)
            body = _json_object(raw)
            with self._lock:
                if self._http_failures:
                    status, code, message = self._http_failures.pop(0)
                    raise ace_error(status, code, message)
            parent = self._validate(body, record)
            await self._check_image_prompts(body)
            response = await self._submit(request, body, parent, record)
        except HttpError as exc:
            exc.body["trace_id"] = trace_id
            response = exc.response()
        if self.trace_header:
            response.headers["x-trace-id"] = trace_id
        record["status"] = response.status_code
        return response

    def _validate(self, body: JSON, record: JSON) -> JSON | None:
        """Check action / image_id / mask / prompt; returns the parent image for actions."""
        action = body.get("action") or "generate"
        if not isinstance(action, str) or action not in VALID_ACTIONS:
            raise _bad(f"Invalid action `{action}`")
        mode = body.get("mode")
        if mode is not None and mode not in MODES:
            raise _bad(f"Invalid mode `{mode}`")
        prompt = body.get("prompt")
        if prompt is not None and not isinstance(prompt, str):
            raise _bad("prompt must be a string")
        if prompt:
            self._check_params(prompt)
        if action == "generate":
            if not prompt or not prompt.strip():
                raise _bad("prompt is required")
            return None
        image_id = body.get("image_id")
        if not image_id:
            raise _bad(f"image_id is required for action `{action}`")
        with self._lock:
            parent = copy.deepcopy(self.images.get(str(image_id)))
        if parent is None:
            raise _bad(f"image_id `{image_id}` not found")
        region_ok = action == "variation_region" and parent["kind"] == "single"
        if action not in parent["actions"] and not region_ok:
            raise _bad(f"action `{action}` is not available for image `{image_id}`")
        if action == "variation_region":
            record["mask_bytes"], record["mask_image"] = self._decode_mask(body.get("mask"), parent)
        return parent

    def _check_params(self, prompt: str) -> None:
        rejected = [name for name in _PARAM_RE.findall(prompt) if name.lower() in self.rejected_params]
        if rejected:
            raise _bad("Unrecognized argument(s): " + ", ".join(f"`--{name}`" for name in rejected))

    @staticmethod
    def _decode_mask(mask: Any, parent: JSON) -> tuple[bytes, Image.Image]:
        if not isinstance(mask, str) or not mask:
            raise _bad("mask is required for variation_region")
        try:
            data = base64.b64decode(mask, validate=True)
        except (binascii.Error, ValueError):
            raise _bad("mask is not valid base64") from None
        if sniff_image(data) not in ("png", "jpg"):
            raise _bad("mask must be a PNG or JPEG image")
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except Exception:
            raise _bad("mask is not a valid image") from None
        expected = (parent["raw_image_width"], parent["raw_image_height"])
        if image.size != expected:
            raise _bad(
                f"mask size {image.width}x{image.height} does not match image {expected[0]}x{expected[1]}"
            )
        return data, image

    async def _check_image_prompts(self, body: JSON) -> None:
        """Leading URLs of a generate prompt must be downloadable images (image prompt / blend)."""
        if (body.get("action") or "generate") != "generate":
            return
        tokens = str(body.get("prompt") or "").split()
        urls = []
        for token in tokens:
            if not re.match(r"https?://", token):
                break
            urls.append(token)
        if not urls:
            return
        if len(urls) > MAX_IMAGE_PROMPTS:
            raise _bad(f"At most {MAX_IMAGE_PROMPTS} image URLs are allowed")
        text = " ".join(tokens[len(urls) :]).split("--", 1)[0].strip()
        if len(urls) == 1 and not text:
            raise _bad("Image prompts must have two images or one image and text")
        async with httpx.AsyncClient(timeout=self.fetch_timeout, follow_redirects=True) as client:
            for url in urls:
                status, kind = 0, None
                try:
                    response = await client.get(url)
                    status, kind = response.status_code, sniff_image(response.content)
                except httpx.HTTPError:
                    pass
                with self._lock:
                    self.image_fetches.append({"url": url, "status": status, "kind": kind})
                if status != 200 or kind not in ("png", "jpg", "webp"):
                    raise _bad(f"Failed to download image {url}")

    async def _submit(self, request: Request, body: JSON, parent: JSON | None, record: JSON) -> Response:
        """Start the job; answer with its id, a live ndjson stream, or (by default) its result."""
        callback_url = body.get("callback_url") or None
        wants_stream = NDJSON in record["accept"]
        detached = bool(callback_url or body.get("async"))
        # ndjson with a callback: how upstream answers is undocumented; the knob picks a shape.
        streaming = wants_stream and (not detached or (bool(callback_url) and self.callback_answer == "ndjson"))
        task_id = str(uuid.uuid4())
        with self._lock:
            if self.concurrency_limit is not None and self.in_flight >= self.concurrency_limit:
                raise ace_error(429, "too_many_requests", "Too many concurrent tasks, retry later")
            failure = self._task_failures.pop(0) if self._task_failures else None
            cut, stall, drop = (self._cut_at, self._stall, self._drop_first) if streaming else (None, None, None)
            if streaming:
                self._cut_at, self._stall, self._drop_first = None, None, None
            now = time.time()
            self.submit_times.append(time.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.tasks[task_id] = {
                "id": task_id,
                "trace_id": record["trace_id"],
                "created_at": now,
                "started_at": None,
                "finished_at": None,
                "request": {k: v for k, v in body.items() if k != "mask"},
                "response": None,
                "lines": [],
                "previews": [],
                "action": body.get("action") or "generate",
                "state": "pending",
            }
        record["task_id"] = task_id
        queue: asyncio.Queue[StreamItem] | None = asyncio.Queue() if streaming else None
        self._subscribers[task_id] = [queue] if queue is not None else []
        self._done[task_id] = asyncio.Event()
        job = asyncio.get_running_loop().create_task(
            self._run_job(task_id, body, parent, _base_url(request), callback_url, wants_stream, failure)
        )
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        if queue is not None:
            return StreamingResponse(self._stream(task_id, queue, cut, stall, drop), media_type=NDJSON)
        if detached:
            return JSONResponse({"success": True, "task_id": task_id})
        await self._done[task_id].wait()
        with self._lock:
            task = self.tasks[task_id]
            result = copy.deepcopy(task["response"]) if task["finished_at"] is not None else None
        if result is None:
            raise ace_error(503, "api_error", "service shutting down")
        code = (result.get("error") or {}).get("code", "")
        return JSONResponse(result, status_code=200 if result.get("success") else ERROR_STATUS.get(code, 500))

    async def _stream(
        self,
        task_id: str,
        queue: asyncio.Queue[StreamItem],
        cut: int | None,
        stall: tuple[int, float] | None,
        drop: float | None,
    ) -> AsyncIterator[bytes]:
        """One ndjson line per job step, with the injected cut / stall / drop applied."""
        try:
            if drop is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(queue.get(), drop)
                    raise AssertionError("drop_before_first_line needs a queue_delay longer than the drop")
                return
            while True:
                item = await queue.get()
                if item is None:
                    return
                line, final = item
                yield (json.dumps(line) + "\n").encode()
                progress = int(line.get("progress") or 0)
                if final or (cut is not None and progress >= cut):
                    return
                if stall is not None and progress >= stall[0]:
                    seconds, stall = stall[1], None
                    await self._sleep_unless_closing(seconds)
        finally:
            subscribers = self._subscribers.get(task_id, [])
            if queue in subscribers:
                subscribers.remove(queue)

    # == jobs =================================================================================
    async def _run_job(
        self,
        task_id: str,
        body: JSON,
        parent: JSON | None,
        base_url: str,
        callback_url: str | None,
        callback_progress: bool,
        failure: tuple[str, str] | None,
    ) -> None:
        try:
            timeout = body.get("timeout")
            limit = float(timeout) if isinstance(timeout, int | float) and timeout > 0 else 480.0
            steps = min(self.steps, 2) if failure else self.steps
            if self.queue_delay:
                await asyncio.sleep(min(self.queue_delay, limit))
                if self.queue_delay >= limit:  # upstream gives up after the request's `timeout`
                    failure, steps = ("timeout", f"not started within {limit:g} s"), 0
            with self._lock:
                self.tasks[task_id]["state"] = "generating"
                self.tasks[task_id]["started_at"] = time.time()
            for index in range(steps):
                await asyncio.sleep(self.step_delay)
                progress = round(100 * (index + 1) / (self.steps + 1))
                line = self._progress_line(task_id, base_url, progress)
                self._emit(task_id, line, final=False)
                if callback_url and callback_progress:
                    await self._post_callback(callback_url, line)
            await asyncio.sleep(self.step_delay)
            if failure is not None:
                code, message = failure
                final = {"success": False, "task_id": task_id, "error": {"code": code, "message": message}}
            else:
                final = self._final_line(task_id, body, parent, base_url)
            self._emit(task_id, final, final=True)
            if callback_url:
                await self._post_callback(callback_url, final)
        finally:
            with self._lock:
                task = self.tasks[task_id]
                if task["finished_at"] is None and task["state"] in ("pending", "generating"):
                    task["state"] = "cancelled"
                    self.in_flight -= 1

    def _emit(self, task_id: str, line: JSON, *, final: bool) -> None:
        with self._lock:
            task = self.tasks[task_id]
            task["lines"].append(line)
            task["response"] = line
            if final:
                task["finished_at"] = time.time()
                task["state"] = "finished" if line.get("success") else "failed"
                self.in_flight -= 1
        for queue in self._subscribers.get(task_id, []):
            queue.put_nowait((copy.deepcopy(line), final))
        if final:
            self._done[task_id].set()
            if self.preview_ttl is not None:
                asyncio.get_running_loop().call_later(self.preview_ttl, self._expire_previews, task_id)

    def _expire_previews(self, task_id: str) -> None:
        """Upstream destroys progress previews when the job ends."""
        with self._lock:
            for name in self.tasks[task_id]["previews"]:
                self._image_specs.pop(name, None)
                self._image_cache.pop(name, None)

    def _progress_line(self, task_id: str, base_url: str, progress: int) -> JSON:
        image_id = str(uuid.uuid4())
        name = f"preview-{image_id}.png"
        width, height = self.preview_size
        url = f"{base_url}/images/{name}"
        with self._lock:
            self._image_specs[name] = (width, height, self.preview_color, f"{progress}%")
            self.tasks[task_id]["previews"].append(name)
        return {
            "success": True,
            "task_id": task_id,
            "image_id": image_id,
            "progress": progress,
            "image_url": url,
            "image_width": width,
            "image_height": height,
            "raw_image_url": url,
            "raw_image_width": width,
            "raw_image_height": height,
            "actions": [],
        }

    def _final_line(self, task_id: str, body: JSON, parent: JSON | None, base_url: str) -> JSON:
        """Register the final image (grid or single) and build the progress-100 result."""
        action = body.get("action") or "generate"
        if action in UPSCALES or action in ENHANCES:
            kind, size, raw, color, actions = (
                "single",
                self.single_size,
                self.single_raw_size,
                self.single_color,
                self.single_actions,
            )
            if action in ENHANCES and parent is not None:
                factor = self.upscale_factors.get(action, 2)
                raw = (parent["raw_image_width"] * factor, parent["raw_image_height"] * factor)
        else:
            kind, size, raw, color, actions = (
                "grid",
                self.grid_size,
                self.grid_raw_size,
                self.grid_color,
                self.grid_actions,
            )
        image_id = str(uuid.uuid4())
        label = f"{action} {image_id[:8]}"
        image_url = f"{base_url}/images/{image_id}.png"
        raw_url = f"{base_url}/images/{image_id}-raw.png"
        result = {
            "success": True,
            "task_id": task_id,
            "image_id": image_id,
            "progress": 100,
            "image_url": image_url,
            "image_width": size[0],
            "image_height": size[1],
            "raw_image_url": raw_url,
            "raw_image_width": raw[0],
            "raw_image_height": raw[1],
            "actions": list(actions),
        }
        with self._lock:
            self._image_specs[f"{image_id}.png"] = (*size, color, label)
            self._image_specs[f"{image_id}-raw.png"] = (*raw, color, label)
            self.images[image_id] = {
                **result,
                "kind": kind,
                "action": action,
                "prompt": body.get("prompt"),
                "parent_image_id": parent["image_id"] if parent else None,
            }
        return result

    async def _post_callback(self, url: str, body: JSON) -> None:
        # One shared client, like a real service: a new client per POST costs an SSL context
        # each time, and under load that made the fake itself the bottleneck.
        if self._callback_client is None:
            self._callback_client = httpx.AsyncClient(timeout=10)
        try:
            status = (await self._callback_client.post(url, json=body)).status_code
        except httpx.HTTPError:
            status = 0
        with self._lock:
            self.callback_statuses.append(status)
            self.callbacks.append({"url": url, "body": body, "status": status, "t": time.monotonic()})

    # == tasks API ============================================================================
    async def _tasks_endpoint(self, request: Request) -> Response:
        raw = await request.body()
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = None
        body: JSON | None = decoded if isinstance(decoded, dict) else None
        with self._lock:
            self.task_queries.append(body)
        self._collect_urls(body)
        self._authorize(request, self.token)
        if body is None:
            raise _bad("Request body must be a JSON object")
        action = body.get("action")
        if action == "retrieve":
            matches = self._select(body.get("id"), body.get("trace_id"))
            if not matches:
                raise _bad("task not found")
            return JSONResponse(matches[0])
        if action == "retrieve_batch":
            ids, trace_ids = body.get("ids"), body.get("trace_ids")
            for name, value in (("ids", ids), ("trace_ids", trace_ids)):
                if value is not None and not isinstance(value, list):
                    raise _bad(f"{name} must be a list")
            offset, limit = body.get("offset", 0), body.get("limit", TASKS_LIMIT)
            if not isinstance(offset, int) or not isinstance(limit, int) or offset < 0 or limit < 1:
                raise _bad("offset and limit must be whole numbers (offset >= 0, limit >= 1)")
            items = self._select(ids, trace_ids, many=True)[offset : offset + limit]
            return JSONResponse({"items": items, "count": len(items)})
        raise _bad(f"Invalid action `{action}`")

    def _select(self, ids: Any, trace_ids: Any, *, many: bool = False) -> list[JSON]:
        """Task views by id(s), by trace id(s), or (neither given, batch only) the account's
        tasks, newest first."""
        with self._lock:
            if self.hide_tasks:
                return []
            tasks = list(self.tasks.values())
        if many:
            wanted_ids = {str(i) for i in ids} if isinstance(ids, list) else None
            wanted_traces = {str(t) for t in trace_ids} if isinstance(trace_ids, list) else None
        else:
            wanted_ids = {str(ids)} if ids else None
            wanted_traces = {str(trace_ids)} if trace_ids else None
            if wanted_ids is None and wanted_traces is None:
                return []
        chosen = [
            task for task in reversed(tasks)
            if (wanted_ids is None or task["id"] in wanted_ids)
            and (wanted_traces is None or task["trace_id"] in wanted_traces)
        ]  # fmt: skip
        return [view for view in (self._task_view(task["id"]) for task in chosen) if view is not None]

    def _task_view(self, task_id: str) -> JSON | None:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None:
                return None
            view: JSON = {
                "id": task["id"],
                "trace_id": task["trace_id"],
                "type": "imagine",
                "state": task["state"],
                "created_at": task["created_at"],
            }
            if task["started_at"] is not None:
                view["started_at"] = task["started_at"]
            if task["finished_at"] is not None:
                view["finished_at"] = task["finished_at"]
            view["request"] = copy.deepcopy(task["request"])
            if task["response"] is not None:
                view["response"] = copy.deepcopy(task["response"])
            return view

    async def _no_api_endpoint(self, request: Request) -> Response:
        self._authorize(request, self.token)
        raise ace_error(400, "api_not_implemented", f"API {request.url.path} is not implemented")

    # == platform upload & hosting ============================================================
    async def _upload_endpoint(self, request: Request) -> Response:
        self._authorize(request, self.platform_token or self.token)
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise _bad("file is required (multipart/form-data)")
        _, files = parse_multipart(await request.body(), content_type)
        part = files.get("file")
        if part is None:
            raise _bad("file is required")
        suffix = part.filename.rsplit(".", 1)[-1].lower() if "." in part.filename else ""
        ext = suffix if re.fullmatch(r"[a-z0-9]{1,5}", suffix) else (sniff_image(part.data) or "bin")
        name = f"{uuid.uuid4().hex}.{ext}"
        mime = mimetypes.guess_type(name)[0] or part.content_type or "application/octet-stream"
        file_url = f"{_base_url(request)}/files/{name}"
        with self._lock:
            self._files[name] = (part.data, mime)
            self.uploads.append(
                {
                    "name": name,
                    "filename": part.filename,
                    "content_type": part.content_type,
                    "size": len(part.data),
                    "data": part.data,
                    "file_url": file_url,
                    "t": time.monotonic(),
                }
            )
        return JSONResponse({"file_url": file_url})

    async def _file_endpoint(self, request: Request) -> Response:
        name = request.path_params["name"]
        with self._lock:
            self.hits[request.url.path] += 1
            stored = self._files.get(name)
        if stored is None:
            return JSONResponse(
                {"error": {"code": "not_found", "message": "file not found"}}, status_code=404
            )
        return Response(stored[0], media_type=stored[1])

    async def _image_endpoint(self, request: Request) -> Response:
        name = request.path_params["name"]
        with self._lock:
            self.hits[request.url.path] += 1
            spec = self._image_specs.get(name)
            data = self._image_cache.get(name)
        if spec is None:
            return JSONResponse(
                {"error": {"code": "not_found", "message": "image not found"}}, status_code=404
            )
        if data is None:
            width, height, color, label = spec
            data = await asyncio.to_thread(make_png, width, height, color, label)
            with self._lock:
                self._image_cache[name] = data
        return Response(data, media_type="image/png")

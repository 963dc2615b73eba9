"""The fake AceData's prompt tools: ``POST /midjourney/describe``, ``/midjourney/shorten`` and
``/midjourney/translate``.

As AceData's reference describes them: describe takes ``{image_url}``, downloads it (it must be a
public JPG/PNG/WebP; the URL is recorded, so tests can check it never carries the bot token) and
answers ``{descriptions: [...4]}`` with Midjourney's "1️⃣ …" to "4️⃣ …" marks; shorten takes
``{prompt}`` and answers ``{prompts: [...]}``. Both take a few hundred milliseconds, answer 401
without the token and 400 ``bad_request`` for a missing field, and honour ``fail_next``. Translate
takes ``{content}`` and answers ``{content: <English>}`` from a small phrase book (anything else
becomes a fixed English sentence); ``translate_fails`` makes it answer 500 instead.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .images import sniff_image

_MARKS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣")
PHRASES = {"一只在雪地里的红狐狸": "a red fox in the snow", "一只狐狸": "a fox", "另一只狐狸": "another fox",
           "国王": "a king", "猫": "a cat"}  # fmt: skip


class PromptTools:
    """Mixed into `FakeAceData` (which provides the token check, error helpers and records)."""

    _lock: threading.RLock
    token: str
    fetch_timeout: float
    describe_delay: float = 0.2
    describe_calls: list[dict[str, Any]]
    shorten_calls: list[dict[str, Any]]
    translate_calls: list[dict[str, Any]]
    translate_fails: bool = False

    def _tool_setup(self) -> None:
        self.describe_calls = []
        self.shorten_calls = []
        self.translate_calls = []

    def _authorize(self, request: Request, token: str) -> None: ...

    def _collect_urls(self, body: Any) -> None: ...

    def _injected_failure(self) -> None: ...

    async def _read_json(self, request: Request) -> dict[str, Any]: ...

    def _bad_request(self, message: str) -> Exception: ...

    async def _describe_endpoint(self, request: Request) -> Response:
        self._authorize(request, self.token)
        body = await self._read_json(request)
        self._collect_urls(body)
        url = body.get("image_url")
        with self._lock:
            self.describe_calls.append(body)
        self._injected_failure()
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise self._bad_request("image_url is required")
        await asyncio.sleep(self.describe_delay)
        try:
            async with httpx.AsyncClient(timeout=self.fetch_timeout, follow_redirects=True) as client:
                response = await client.get(url)
            kind = sniff_image(response.content) if response.status_code == 200 else None
        except httpx.HTTPError:
            kind = None
        if kind not in ("png", "jpg", "webp"):
            raise self._bad_request(f"Failed to download image {url}")
        subjects = ("a red fox in deep snow", "an orange fox, winter forest", "fox portrait, soft light",
                    "a small fox on a snowy hill")  # fmt: skip
        descriptions = [f"{mark} {subject}, {kind} photograph --ar 1:1" for mark, subject in zip(_MARKS, subjects, strict=True)]
        return JSONResponse({"descriptions": descriptions})

    async def _shorten_endpoint(self, request: Request) -> Response:
        self._authorize(request, self.token)
        body = await self._read_json(request)
        prompt = body.get("prompt")
        with self._lock:
            self.shorten_calls.append(body)
        self._injected_failure()
        if not isinstance(prompt, str) or not prompt.strip():
            raise self._bad_request("prompt is required")
        await asyncio.sleep(self.describe_delay)
        words = prompt.split()
        shorter = [" ".join(words[: max(1, len(words) // n)]) for n in (2, 3, 4)]
        return JSONResponse({"prompts": [f"{mark} {text}" for mark, text in zip(_MARKS, shorter, strict=False)]})

    async def _translate_endpoint(self, request: Request) -> Response:
        self._authorize(request, self.token)
        body = await self._read_json(request)
        content = body.get("content")
        with self._lock:
            self.translate_calls.append(body)
        if not isinstance(content, str) or not content.strip():
            raise self._bad_request("content is required")
        if self.translate_fails:
            return JSONResponse({"success": False, "error": {"code": "api_error", "message": "translator down"}},
                                status_code=500)  # fmt: skip
        english = PHRASES.get(content.strip(), "a picture described in another language")
        return JSONResponse({"content": english})

"""The bot's built-in web server (Starlette on Hypercorn, inside the bot's own event loop).

It serves self-hosted pictures at `/media/<name>` and, when enabled, the AceData callback and
Telegram webhook routes that other modules add. Anything else is a 404. Hypercorn is used because
it runs inside an existing loop with an explicit shutdown trigger and leaves signal handling to
python-telegram-bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Coroutine, Iterator
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.jobs import CallbackAnswer, JobService
from bot.media.hosting import LocalHost, SharedHost
from bot.runtime.tasks import Closed, TaskSet

CALLBACK_PATH = "/acedata"

log = logging.getLogger(__name__)


def media_route(host: LocalHost | SharedHost) -> Route:
    async def media(request: Request) -> Response:
        name = request.path_params["name"]
        headers = {"Cache-Control": "public, max-age=3600"}
        if isinstance(host, SharedHost):
            shared = await host.lookup(name)
            if shared is None:
                return PlainTextResponse("not found", status_code=404)
            return Response(shared[0], media_type=shared[1], headers=headers)
        found = host.lookup(name)
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        path, mime = found
        return FileResponse(path, media_type=mime, headers=headers)

    return Route("/media/{name}", media, methods=["GET", "HEAD"])


CALLBACK_BODY_MAX = 1 << 20  # a result is a few KB; progress lines too


class TooLarge(Exception):
    """The request body is over its route's cap (answered 413, the rest never read)."""


class Refused(Exception):
    """A body not read at all: the server's budget for bodies in flight is spent (503), this
    client already has `PER_CLIENT` bodies in flight (429), or it came too slowly (408)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


BODY_BUDGET = 32 << 20  # bytes of request bodies being read at once, server-wide
PER_CLIENT = 4  # bodies one client address may send at once
BODY_DEADLINE = 10.0  # seconds a whole body may take (a slow sender is cut off, not waited for)


class BodyBudget:
    """What the server lets clients send at once: a body reserves its cap (or its declared size)
    before a byte is read, so a thousand concurrent uploads cannot grow memory past the budget."""

    def __init__(self, budget: int = BODY_BUDGET, per_client: int = PER_CLIENT) -> None:
        self._left = budget
        self._per_client = per_client
        self._clients: dict[str, int] = {}

    @contextlib.contextmanager
    def reserve(self, client: str, size: int) -> Iterator[None]:
        if self._clients.get(client, 0) >= self._per_client:
            raise Refused(429)
        if size > self._left:
            raise Refused(503)
        self._left -= size
        self._clients[client] = self._clients.get(client, 0) + 1
        try:
            yield
        finally:
            self._left += size
            self._clients[client] -= 1
            if not self._clients[client]:
                del self._clients[client]


async def read_capped(
    request: Request, limit: int, budget: BodyBudget | None = None, deadline: float = BODY_DEADLINE
) -> bytes:
    """The request body, read only while it stays within `limit` bytes: a declared
    Content-Length over it is refused before reading anything, a body that grows past it
    is refused as soon as it does, and nothing past the cap is buffered. With a `budget`, the
    body first reserves its room (else `Refused`), and it must arrive within `BODY_DEADLINE`."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    size_needed = int(declared) if declared is not None else limit
    client = request.client.host if request.client is not None else "?"
    with budget.reserve(client, size_needed) if budget is not None else contextlib.nullcontext():
        try:
            async with asyncio.timeout(deadline):
                chunks: list[bytes] = []
                size = 0
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge
                    chunks.append(chunk)
        except TimeoutError:
            raise Refused(408) from None
    return b"".join(chunks)


async def body_or_answer(request: Request, limit: int, budget: BodyBudget | None, what: str) -> bytes | Response:
    """The body (see `read_capped`), or the answer that refuses it: 413, 408, 429 or 503."""
    try:
        return await read_capped(request, limit, budget)
    except TooLarge:
        log.warning("refused an oversized %s body", what)
        return too_large()
    except Refused as exc:
        return refused(exc)


def too_large() -> Response:
    return PlainTextResponse("request body too large", status_code=413, headers={"Connection": "close"})


def refused(exc: Refused) -> Response:
    text = {408: "request body too slow", 429: "too many requests from you", 503: "busy, try again"}[exc.status]
    return PlainTextResponse(text, status_code=exc.status, headers={"Connection": "close", "Retry-After": "1"})


def callback_route(jobs: JobService, budget: BodyBudget | None = None) -> Route:
    """AceData POSTs results to `{PUBLIC_URL}/acedata/<per-job secret>`; anything else is 404.
    The secret is checked before the body is read, and the body is capped."""

    async def callback(request: Request) -> Response:
        secret = request.path_params["secret"]
        if not await jobs.expects_callback(secret):
            return PlainTextResponse("not found", status_code=404)
        body = await body_or_answer(request, CALLBACK_BODY_MAX, budget, "callback")
        if isinstance(body, Response):
            return body
        try:
            answer = await jobs.on_callback(secret, body)
        except Closed:  # stopping: AceData sends it again, or the next start follows the task
            return PlainTextResponse("stopping", status_code=503)
        text = {CallbackAnswer.OK: "ok", CallbackAnswer.UNREADABLE: "unreadable body"}.get(answer, "not found")
        return PlainTextResponse(text, status_code=int(answer))

    return Route(CALLBACK_PATH + "/{secret}", callback, methods=["POST"])


class CannotListen(Exception):
    """The web port cannot be had (taken by another process, or not ours to bind)."""


class WebServer:
    """Serves `routes`; `background` coroutines (e.g. the media sweeper) live as long as it does.

    The socket is bound before serving, so a taken `HTTP_PORT` stops the bot with a clear error
    instead of a log line saying it listens while nothing does."""

    def __init__(
        self,
        host: str,
        port: int,
        routes: list[BaseRoute],
        background: list[Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._config = Config()
        self._config.accesslog = None
        self._config.errorlog = logging.getLogger("bot.web.server.hypercorn")
        self._config.graceful_timeout = 3.0
        # Limits of our own, whatever sits in front: small headers, idle connections closed soon,
        # slow clients dropped, and little body buffered ahead of the app (which caps it too).
        self._config.h11_max_incomplete_size = 16 * 1024
        self._config.keep_alive_timeout = 5.0
        self._config.read_timeout = 30
        self._config.max_app_queue_size = 4
        self._config.backlog = 512
        self._app = Starlette(routes=routes)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._background = background or []
        self._helpers = TaskSet()

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
            sock.listen(1024)
        except OSError as exc:
            sock.close()
            raise CannotListen(f"cannot listen on {self._host}:{self._port} (HTTP_HOST/HTTP_PORT): "
                               f"{exc.strerror or exc}") from exc  # fmt: skip
        self._port = sock.getsockname()[1]
        self._config.bind = [f"fd://{sock.detach()}"]  # Hypercorn takes the socket over and closes it
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(
            serve(self._app, self._config, shutdown_trigger=self._stop.wait),  # type: ignore[arg-type]
            name="web-server",
        )
        for coro in self._background:
            self._helpers.spawn(coro)
        await asyncio.sleep(0)
        log.info("web server listening on %s:%s", self._host, self._port)

    async def stop(self) -> None:
        await self._helpers.close()
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._task, 5.0)

"""Health and metrics on the built-in web server, for a platform and a Prometheus server.

GET /healthz  200 while the event loop is responsive (the loop watch ticks, no stall of seconds in
              the last 30 s), else 503.
GET /readyz   200 only when the bot can work: started (Telegram's getMe succeeded, the services
              run), not stopping, and the database answers with every migration applied; else 503.
GET /metrics  Prometheus' text format; with METRICS_TOKEN set, only with `Authorization: Bearer
              <token>` (401 without it).
None of them calls AceData or Telegram, and none is counted in the metrics.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.runtime import metrics
from bot.runtime.loopwatch import LoopWatch

_NO_STORE = {"Cache-Control": "no-store"}


class Readiness:
    """Whether the bot can take work: set by its owner as it starts and stops."""

    def __init__(self, loopwatch: LoopWatch, database_ready: Callable[[], Awaitable[bool]]) -> None:
        self.loopwatch = loopwatch
        self._database_ready = database_ready
        self.started = False
        self.stopping = False

    async def ready(self) -> bool:
        return self.started and not self.stopping and await self._database_ready()


def health_routes(readiness: Readiness, metrics_token: str | None) -> list[Route]:
    async def healthz(request: Request) -> Response:
        ok = readiness.loopwatch.healthy()
        return PlainTextResponse("ok" if ok else "stalled", status_code=200 if ok else 503, headers=_NO_STORE)

    async def readyz(request: Request) -> Response:
        if await readiness.ready():
            return PlainTextResponse("ready", headers=_NO_STORE)
        why = "stopping" if readiness.stopping else "starting" if not readiness.started else "database"
        return PlainTextResponse(why, status_code=503, headers=_NO_STORE)

    async def exposition(request: Request) -> Response:
        if metrics_token is not None:
            given = request.headers.get("authorization", "")
            if not secrets.compare_digest(given.encode(), f"Bearer {metrics_token}".encode()):
                return PlainTextResponse("unauthorized", status_code=401,
                                         headers={"WWW-Authenticate": "Bearer", **_NO_STORE})  # fmt: skip
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE, headers=_NO_STORE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", exposition, methods=["GET"]),
    ]

"""Common lifecycle of the fakes: a Starlette app served by :class:`ServerThread`.

Tests mutate and inspect a fake from their own thread while its handlers run in the server
thread, so every fake guards its state with ``self._lock`` (an RLock: helpers call each other).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, Self, TypeVar

from starlette.applications import Starlette
from starlette.responses import JSONResponse

from .server import ServerThread
from .waiting import wait_for

T = TypeVar("T")


class HttpError(Exception):
    """Raised inside a handler to answer ``status`` with a JSON ``body`` (shared by both fakes)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status)


class FakeServer:
    """Base class: start/stop/url, context manager, thread-safe state, wait helpers."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._server: ServerThread | None = None
        self._app: Starlette | None = None

    # -- to override -------------------------------------------------------------------------
    def _build_app(self) -> Starlette:
        raise NotImplementedError

    def _reset_loop_state(self) -> None:
        """Recreate asyncio primitives: each start() runs a new event loop."""

    async def _before_stop(self) -> None:
        """Wake long-polls / streams so the server's graceful shutdown does not wait for them."""

    def _describe(self) -> str:
        """State summary appended to wait_for timeout messages."""
        return ""

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def app(self) -> Starlette:
        """The Starlette app (built once); usable with httpx.ASGITransport without a server."""
        if self._app is None:
            self._app = self._build_app()
        return self._app

    def start(self) -> Self:
        """Serve the app on a free 127.0.0.1 port; returns once it accepts connections."""
        if self._server is not None and self._server.running:
            return self
        self._reset_loop_state()
        self._server = ServerThread(self.app).start()
        return self

    def stop(self) -> None:
        """Shut the server down (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        if server.running:
            # best effort: the graceful-shutdown timeout is the backstop
            with contextlib.suppress(Exception):
                server.run(self._before_stop(), timeout=5)
        server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._server.url

    @property
    def server(self) -> ServerThread:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._server

    def _call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback`` in the server loop (from any thread); dropped when not running."""
        if self._server is not None:
            self._server.call_soon(callback, *args)

    # -- waiting -------------------------------------------------------------------------------
    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Poll ``predicate`` every 20 ms from a sync test; AssertionError with state on timeout."""
        return wait_for(predicate, timeout, describe=self._describe)

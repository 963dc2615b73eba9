"""Run an ASGI app with uvicorn in a background thread.

The fakes must answer HTTP while the test thread (or the test's own event loop, in async tests)
drives the bot, so each fake gets its own thread and event loop. The listening socket is bound
before the thread starts, so the port is known immediately and never races with another test.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Coroutine
from typing import Any, Self, TypeVar

import uvicorn
from starlette.types import ASGIApp

T = TypeVar("T")


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1:<free port> from a daemon thread with its own loop."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", *, graceful_timeout: int = 2) -> None:
        self.app = app
        self.host = host
        self.graceful_timeout = graceful_timeout
        self.port: int | None = None
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:41234``."""
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the app runs in (for ``call_soon_threadsafe``)."""
        if self._loop is None:
            raise RuntimeError("server not started")
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def in_server_thread(self) -> bool:
        """True when called from the server's own thread (blocking there would deadlock)."""
        return self._thread is not None and threading.current_thread() is self._thread

    def start(self, timeout: float = 10.0) -> Self:
        """Bind a free port, start serving, and return once uvicorn accepts connections."""
        if self.running:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self._sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,  # leave the process' logging alone (pytest captures it)
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=self.graceful_timeout,
        )
        self._server = uvicorn.Server(config)
        self._error = None
        self._thread = threading.Thread(target=self._run, name=f"fake-server-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"server thread exited during startup: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start within {timeout}s")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._sock is not None
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # reported by start() / stop()
            self._error = exc
        finally:
            self._close_loop(loop)

    @staticmethod
    def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
        """Cancel what the app left running (e.g. fake jobs) so the loop closes without warnings."""
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())  # asyncio.to_thread workers
        loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit, wait for the thread, force it if graceful shutdown hangs."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self._thread = None
        self._loop = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run ``coro`` in the server loop from another thread and return its result."""
        if self.in_server_thread():
            coro.close()
            raise RuntimeError("ServerThread.run() called from the server thread itself (would deadlock)")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call_soon(self, callback: Any, *args: Any) -> None:
        """Schedule a plain callback in the server loop from any thread (no-op when stopped)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # loop closing concurrently
                loop.call_soon_threadsafe(callback, *args)

"""Run an ASGI app with Hypercorn (the server the bot itself uses) in a background thread.

The fakes must answer HTTP while the test thread (or the test's own event loop, in async tests)
drives the bot, so each fake gets its own thread and event loop. The listening socket is bound
before the thread starts, so the port is known immediately and never races with another test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from collections.abc import Coroutine
from typing import Any, Self, TypeVar

from hypercorn.asyncio import serve
from hypercorn.config import Config
from starlette.types import ASGIApp

T = TypeVar("T")


class ServerThread:
    """Hypercorn serving ``app`` on 127.0.0.1:<free port> from a daemon thread with its own loop."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", *, graceful_timeout: int = 2) -> None:
        self.app = app
        self.host = host
        self.graceful_timeout = graceful_timeout
        self.port: int | None = None
        self._sock: socket.socket | None = None
        self._stop: asyncio.Event | None = None
        self._serving: asyncio.Task[None] | None = None
        self._started = threading.Event()
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
        """Bind a free port, start serving, and return once the server accepts connections."""
        if self.running:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(512)  # connections queue from now on, before the loop accepts them
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._error = None
        self._started.clear()
        self._thread = threading.Thread(target=self._run, name=f"fake-server-{self.port}", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError(f"server on {self.url} did not start within {timeout}s: {self._error!r}")
        return self

    def _config(self) -> Config:
        assert self._sock is not None
        config = Config()
        config.bind = [f"fd://{os.dup(self._sock.fileno())}"]  # Hypercorn closes the one it is given
        config.accesslog = None
        config.errorlog = None  # leave the process' logging alone (pytest captures it)
        config.graceful_timeout = self.graceful_timeout
        config.keep_alive_timeout = 30
        return config

    def _run(self) -> None:
        assert self._sock is not None
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._stop = asyncio.Event()
        try:
            self._serving = loop.create_task(
                serve(self.app, self._config(), shutdown_trigger=self._stop.wait)  # type: ignore[arg-type]
            )
            loop.call_soon(self._started.set)
            loop.run_until_complete(self._serving)
        except asyncio.CancelledError:
            pass  # forced to stop
        except BaseException as exc:  # reported by start() / stop()
            self._error = exc
        finally:
            self._started.set()
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
        """Ask the server to exit, wait for the thread, cancel it if graceful shutdown hangs."""
        if self._thread is None:
            return
        loop, stop, serving = self._loop, self._stop, self._serving
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive() and loop is not None and serving is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(serving.cancel)
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

"""A round-robin HTTP/1.1 reverse proxy on loopback, the load balancer of multi-replica tests.

Each request (not each connection: the fake Telegram keeps one connection alive for all its webhook
POSTs) goes to the next backend in turn; a backend that refuses the connection (a stopped replica)
is skipped for the one after it, and when all refuse the answer is 502. Once a request has been
sent it is not retried elsewhere (it may have been acted on): a backend that fails mid-answer
gives a 502, one that does not answer in time a 504. That is what Caddy does in deploy/Caddyfile
(`lb_policy round_robin`, `lb_try_duration`).

Requests and answers are read whole, then passed on with their headers (the webhook's
`X-Telegram-Bot-Api-Secret-Token` included) less the hop-by-hop ones; the backend gets
`Connection: close` and `X-Forwarded-For`/`-Proto`/`-Host`. Not for streamed answers (server-sent
events, long polls that must trickle): an answer is passed on when it is complete.

Like the other fakes it runs in a daemon thread with its own event loop, on a socket bound before
the thread starts (see server.py); `set_backends` may be called from any thread at any time.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterable
from typing import Any, Self

Backend = tuple[str, int]
Headers = list[tuple[str, str]]

HOP_BY_HOP = frozenset(
    "connection keep-alive proxy-connection proxy-authenticate proxy-authorization te trailer "
    "transfer-encoding upgrade content-length expect".split()
)
MAX_HEAD = 64 * 1024
REASONS = {400: "Bad Request", 502: "Bad Gateway", 504: "Gateway Timeout"}


class _BadMessage(Exception):
    pass


class RoundRobinProxy:
    """`RoundRobinProxy([("127.0.0.1", 8081), ("127.0.0.1", 8082)]).start()`; `.url` is its address.

    `counts[backend]` is how many requests were sent to it, `refused[backend]` how many times it
    refused a connection (read them through the properties: they are copies)."""

    def __init__(
        self,
        backends: Iterable[Backend] = (),
        host: str = "127.0.0.1",
        *,
        connect_timeout: float = 5.0,
        response_timeout: float = 60.0,
        idle_timeout: float = 60.0,
    ) -> None:
        self.host = host
        self.port: int | None = None
        self.connect_timeout = connect_timeout
        self.response_timeout = response_timeout
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._backends: list[Backend] = []
        self._next = 0
        self._counts: dict[Backend, int] = {}
        self._refused: dict[Backend, int] = {}
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self.set_backends(backends)

    # -- state, from any thread ---------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("proxy not started")
        return f"http://{self.host}:{self.port}"

    @property
    def backends(self) -> list[Backend]:
        with self._lock:
            return list(self._backends)

    def set_backends(self, backends: Iterable[Backend]) -> None:
        """Replace the backend list (the turn starts again at the first); counts are kept."""
        with self._lock:
            self._backends = [(str(host), int(port)) for host, port in backends]
            self._next = 0

    @property
    def counts(self) -> dict[Backend, int]:
        with self._lock:
            return dict(self._counts)

    @property
    def refused(self) -> dict[Backend, int]:
        with self._lock:
            return dict(self._refused)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def _turn(self) -> list[Backend]:
        """The backends in the order to try for the next request."""
        with self._lock:
            backends, start = list(self._backends), self._next
        if not backends:
            return []
        start %= len(backends)
        return backends[start:] + backends[:start]

    def _used(self, backend: Backend) -> None:
        with self._lock:
            self._counts[backend] = self._counts.get(backend, 0) + 1
            if backend in self._backends:  # the next request goes to the one after it
                self._next = (self._backends.index(backend) + 1) % len(self._backends)

    def _was_refused(self, backend: Backend) -> None:
        with self._lock:
            self._refused[backend] = self._refused.get(backend, 0) + 1

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> Self:
        if self.running:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port or 0))
        sock.listen(512)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._error = None
        self._started.clear()
        self._thread = threading.Thread(target=self._run, name=f"proxy-{self.port}", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout) or self._error is not None:
            raise RuntimeError(f"proxy on {self.url} did not start within {timeout}s: {self._error!r}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening and drop open connections (requests in flight are cut)."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._thread = None
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            self._started.set()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        assert self._sock is not None
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._connection, sock=self._sock.dup(), limit=MAX_HEAD)
        self._started.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()

    # -- one client connection ----------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) else "unknown"
        try:
            while True:
                try:
                    async with asyncio.timeout(self.idle_timeout):
                        head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
                    return
                try:
                    method, target, version, headers = _parse_head(head)
                    keep_alive = _keep_alive(version, headers)
                    if _header(headers, "expect").lower() == "100-continue":
                        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    async with asyncio.timeout(self.response_timeout):
                        body = await _read_body(reader, headers, request=True)
                except (_BadMessage, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        TimeoutError):
                    writer.write(_error_response(400, close=True))
                    await writer.drain()
                    return
                status_line, answer_headers, answer_body = await self._forward(method, target, headers, body, client)
                writer.write(_answer(status_line, answer_headers, answer_body, method, keep_alive))
                await writer.drain()
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _forward(
        self, method: str, target: str, headers: Headers, body: bytes, client: str
    ) -> tuple[bytes, Headers, bytes]:
        for backend in self._turn():
            try:
                async with asyncio.timeout(self.connect_timeout):
                    reader, writer = await asyncio.open_connection(*backend, limit=MAX_HEAD)
            except (OSError, TimeoutError):
                self._was_refused(backend)
                continue
            self._used(backend)
            try:
                writer.write(_request(method, target, headers, body, client, f"{self.host}:{self.port}"))
                await writer.drain()
                async with asyncio.timeout(self.response_timeout):
                    return await _read_answer(reader, method)
            except TimeoutError:
                return _status_line(504), [], b""
            except (OSError, _BadMessage, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                return _status_line(502), [], b""
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
        return _status_line(502), [], b""


# -- HTTP/1.1 framing ---------------------------------------------------------------------------


def _parse_head(head: bytes) -> tuple[str, str, str, Headers]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _BadMessage(lines[0])
    return parts[0], parts[1], parts[2], _parse_headers(lines[1:])


def _parse_headers(lines: list[str]) -> Headers:
    headers: Headers = []
    for line in lines:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise _BadMessage(line)
        headers.append((name, value.strip()))
    return headers


def _header(headers: Headers, name: str) -> str:
    return ", ".join(value for key, value in headers if key.lower() == name)


def _keep_alive(version: str, headers: Headers) -> bool:
    tokens = {token.strip().lower() for token in _header(headers, "connection").split(",")}
    return "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens


async def _read_body(reader: asyncio.StreamReader, headers: Headers, *, request: bool) -> bytes:
    """A message's body, chunked or sized; an answer without either runs to the end of the stream."""
    if "chunked" in _header(headers, "transfer-encoding").lower():
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, dropped
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = _header(headers, "content-length")
    if length:
        if not length.isdigit():
            raise _BadMessage(f"Content-Length: {length}")
        return await reader.readexactly(int(length))
    return b"" if request else await reader.read()


async def _read_answer(reader: asyncio.StreamReader, method: str) -> tuple[bytes, Headers, bytes]:
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise _BadMessage(lines[0])
        status = int(parts[1])
        if not 100 <= status < 200:  # interim answers (100 Continue) are skipped
            break
    headers = _parse_headers(lines[1:])
    status_line = f"HTTP/1.1 {status} {parts[2] if len(parts) > 2 else ''}".encode("latin-1")
    if method == "HEAD" or status in (204, 304):
        return status_line, headers, b""
    return status_line, headers, await _read_body(reader, headers, request=False)


def _request(method: str, target: str, headers: Headers, body: bytes, client: str, proxy: str) -> bytes:
    kept = [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]
    forwarded_for = _header(headers, "x-forwarded-for")
    kept = [(name, value) for name, value in kept if not name.lower().startswith("x-forwarded-")]
    kept += [
        ("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client),
        ("X-Forwarded-Proto", "http"),
        ("X-Forwarded-Host", _header(headers, "host") or proxy),
        ("Connection", "close"),
    ]
    if body or method in ("POST", "PUT", "PATCH"):
        kept.append(("Content-Length", str(len(body))))
    return _encode(f"{method} {target} HTTP/1.1".encode("latin-1"), kept, body)


def _answer(status_line: bytes, headers: Headers, body: bytes, method: str, keep_alive: bool) -> bytes:
    status = int(status_line.split(b" ")[1])
    kept = [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]
    if method == "HEAD" or status in (204, 304):
        kept += [(name, value) for name, value in headers if name.lower() == "content-length"]
    else:
        kept.append(("Content-Length", str(len(body))))
    kept.append(("Connection", "keep-alive" if keep_alive else "close"))
    return _encode(status_line, kept, body)


def _status_line(status: int) -> bytes:
    return f"HTTP/1.1 {status} {REASONS.get(status, '')}".encode("latin-1")


def _error_response(status: int, *, close: bool) -> bytes:
    headers = [("Content-Type", "text/plain"), ("Content-Length", "0")]
    if close:
        headers.append(("Connection", "close"))
    return _encode(_status_line(status), headers, b"")


def _encode(first_line: bytes, headers: Headers, body: bytes) -> bytes:
    head = b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers)
    return first_line + b"\r\n" + head + b"\r\n" + body

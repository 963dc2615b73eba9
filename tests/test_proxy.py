"""The round-robin proxy of tests/fakes/proxy.py: request by request in turn over one kept-alive
connection, a backend that refuses is skipped, none left is a 502."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes import FakeTelegram, wait_for
from tests.fakes.proxy import Backend, RoundRobinProxy
from tests.fakes.server import ServerThread
from tests.harness import BOT_TOKEN

SECRET = "X-Telegram-Bot-Api-Secret-Token"


def _backend_app(name: str) -> Starlette:
    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse({
            "name": name,
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "secret": request.headers.get(SECRET),
            "body": body.decode(),
            "forwarded_for": request.headers.get("x-forwarded-for"),
        })

    async def boom(request: Request) -> Response:
        return Response(status_code=500, content=f"{name} failed")

    async def empty(request: Request) -> Response:
        return Response(status_code=204)

    return Starlette(routes=[
        Route("/boom", boom),
        Route("/empty", empty, methods=["GET", "POST"]),
        Route("/{path:path}", echo, methods=["GET", "POST", "HEAD"]),
    ])


def _address(server: ServerThread) -> Backend:
    assert server.port is not None
    return (server.host, server.port)


def _dead_address() -> Backend:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return ("127.0.0.1", int(sock.getsockname()[1]))


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, ServerThread]]:
    servers = {name: ServerThread(_backend_app(name)).start() for name in ("a", "b", "c")}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def proxy() -> Iterator[RoundRobinProxy]:
    with RoundRobinProxy(connect_timeout=2, response_timeout=10) as started:
        yield started


def _names(client: httpx.Client, times: int) -> list[str]:
    return [client.get("/who").json()["name"] for _ in range(times)]


def test_requests_take_turns_over_one_connection(backends: dict[str, ServerThread], proxy: RoundRobinProxy) -> None:
    proxy.set_backends(_address(server) for server in backends.values())
    with httpx.Client(base_url=proxy.url, timeout=10) as client:  # one kept-alive connection
        assert _names(client, 6) == ["a", "b", "c", "a", "b", "c"]
    assert proxy.counts == {_address(server): 2 for server in backends.values()}
    assert proxy.total == 6


def test_webhook_posts_keep_their_secret_and_body(backends: dict[str, ServerThread], proxy: RoundRobinProxy) -> None:
    proxy.set_backends([_address(backends["a"]), _address(backends["b"])])
    update = '{"update_id": 7, "message": {"text": "héllo"}}'
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        answers = [
            client.post("/telegram/webhook?x=1", content=update.encode(), headers={SECRET: "s3cret",
                                                                                   "Content-Type": "application/json"})
            for _ in range(2)
        ]
        streamed = client.post("/chunked", content=iter([b"one ", b"two"]))  # Transfer-Encoding: chunked
    assert [answer.status_code for answer in answers] == [200, 200]
    first, second = (answer.json() for answer in answers)
    assert (first["name"], second["name"]) == ("a", "b")
    assert first == {**second, "name": "a"}
    assert first["method"] == "POST" and first["path"] == "/telegram/webhook" and first["query"] == "x=1"
    assert first["secret"] == "s3cret" and first["body"] == update
    assert first["forwarded_for"] == "127.0.0.1"
    assert streamed.json()["body"] == "one two" and streamed.json()["name"] == "a"


def test_statuses_and_empty_answers_pass_through(backends: dict[str, ServerThread], proxy: RoundRobinProxy) -> None:
    proxy.set_backends([_address(backends["c"])])
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        failed = client.get("/boom")
        empty = client.post("/empty", content=b"x")
        head = client.head("/who")
        after = client.get("/who")
    assert (failed.status_code, failed.text) == (500, "c failed")
    assert (empty.status_code, empty.content) == (204, b"")
    assert head.status_code == 200 and head.content == b""
    assert after.json()["name"] == "c"


def test_a_backend_that_refuses_is_skipped(backends: dict[str, ServerThread], proxy: RoundRobinProxy) -> None:
    dead = _dead_address()
    proxy.set_backends([_address(backends["a"]), dead, _address(backends["b"])])
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        assert _names(client, 4) == ["a", "b", "a", "b"]
    assert proxy.counts.get(dead) is None
    assert proxy.refused[dead] == 2


def test_all_refusing_is_a_502(proxy: RoundRobinProxy) -> None:
    dead = [_dead_address(), _dead_address()]
    proxy.set_backends(dead)
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        assert client.get("/who").status_code == 502
        assert client.post("/webhook", content=b"{}").status_code == 502  # the connection is still usable
    assert proxy.total == 0
    assert all(proxy.refused[address] == 2 for address in dead)


def test_backends_change_at_run_time(backends: dict[str, ServerThread], proxy: RoundRobinProxy) -> None:
    proxy.set_backends([_address(backends["a"])])
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        assert _names(client, 2) == ["a", "a"]
        proxy.set_backends([_address(backends["b"]), _address(backends["c"])])
        assert _names(client, 3) == ["b", "c", "b"]
        proxy.set_backends([])
        assert client.get("/who").status_code == 502
    assert proxy.counts == {_address(backends["a"]): 2, _address(backends["b"]): 2, _address(backends["c"]): 1}


def test_a_stopped_replica_fails_over_and_stop_is_prompt(backends: dict[str, ServerThread]) -> None:
    spare = ServerThread(_backend_app("spare")).start()
    with RoundRobinProxy([_address(spare), _address(backends["a"])], connect_timeout=2) as proxy:
        with httpx.Client(base_url=proxy.url, timeout=10) as client:
            assert _names(client, 2) == ["spare", "a"]
            spare.stop()
            assert _names(client, 3) == ["a", "a", "a"]
        with httpx.Client(base_url=proxy.url, timeout=10) as idle:  # left open across the stop
            idle.get("/who")
            proxy.stop()
            with pytest.raises(httpx.TransportError):
                idle.get("/who")
    assert not proxy.running


def test_the_fake_telegram_webhook_is_shared_out(tg: FakeTelegram) -> None:
    """The fake Telegram pushes updates one by one over one kept-alive connection: each goes to
    the next replica, with its secret."""
    seen: list[tuple[str, str | None, int]] = []

    def replica(name: str) -> Starlette:
        async def webhook(request: Request) -> Response:
            seen.append((name, request.headers.get(SECRET), (await request.json())["update_id"]))
            return Response()

        return Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])

    replicas = [ServerThread(replica(name)).start() for name in ("r1", "r2")]
    try:
        with RoundRobinProxy([_address(server) for server in replicas]) as proxy:
            answer = httpx.post(f"{tg.url}/bot{BOT_TOKEN}/setWebhook",
                                json={"url": f"{proxy.url}/webhook", "secret_token": "s3cret"}, timeout=10)
            assert answer.json()["ok"] is True
            chat, user = {"id": 5, "type": "private"}, {"id": 5, "is_bot": False, "first_name": "U"}
            for text in ("one", "two", "three", "four"):
                tg.user_message(chat, user, text)
            wait_for(lambda: len(seen) == 4, timeout=10)
    finally:
        for server in replicas:
            server.stop()
    assert [(name, secret) for name, secret, _ in seen] == [("r1", "s3cret"), ("r2", "s3cret")] * 2
    assert len({update_id for _, _, update_id in seen}) == 4

"""Request bodies on the built-in web server (bot/web/server.py, bot/telegram/webhook.py): a
server-wide budget and a per-client limit checked before a byte is read, a deadline for the whole
body, the webhook's cap, and deeply nested JSON answered 400 (Starlette on httpx.ASGITransport)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.telegram.webhook import SECRET_HEADER, webhook_route
from bot.web.server import BodyBudget, Refused, TooLarge, read_capped, refused, too_large


def _app(budget: BodyBudget, deadline: float = 10.0) -> httpx.AsyncClient:
    async def upload(request: Request) -> Response:
        try:
            body = await read_capped(request, 1000, budget, deadline)
        except TooLarge:
            return too_large()
        except Refused as exc:
            return refused(exc)
        return PlainTextResponse(str(len(body)))

    app = Starlette(routes=[Route("/up", upload, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test")


def test_the_budget_and_the_per_client_limit() -> None:
    budget = BodyBudget(budget=2500, per_client=2)
    with budget.reserve("a", 1000), budget.reserve("b", 1000):
        with pytest.raises(Refused) as spent:
            with budget.reserve("c", 1000):
                pass
        assert spent.value.status == 503, "the server's budget"
        with budget.reserve("a", 100), pytest.raises(Refused) as crowded:
            with budget.reserve("a", 100):
                pass
        assert crowded.value.status == 429, "one client's share"
    with budget.reserve("c", 2500):
        pass  # all given back


async def test_a_body_over_the_budget_is_not_read_and_a_slow_one_is_cut_off() -> None:
    async with _app(BodyBudget(budget=500)) as http:
        assert (await http.post("/up", content=b"x" * 600)).status_code == 503
        assert (await http.post("/up", content=b"x" * 400)).text == "400"

    async def trickle() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x"
            await asyncio.sleep(0.05)

    async with _app(BodyBudget(), deadline=0.2) as http:
        assert (await http.post("/up", content=trickle())).status_code == 408


async def test_the_webhook_caps_bodies_and_refuses_nested_json() -> None:
    queued: list[Any] = []
    application = SimpleNamespace(running=True, bot=None)
    intake = SimpleNamespace(closing=False, receive=_put(queued))
    route = webhook_route(application, intake, "/hook", "s3cret", BodyBudget())  # type: ignore[arg-type]
    app = Starlette(routes=[route])
    headers = {SECRET_HEADER: "s3cret"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test") as http:
        assert (await http.post("/hook", content=b"[" * 2_000_000, headers=headers)).status_code == 413
        assert (await http.post("/hook", content=b"[" * 100_000, headers=headers)).status_code == 400
        assert (await http.post("/hook", content=json.dumps({"x": 1}), headers={SECRET_HEADER: "no"})).status_code == 403
        for not_an_update in ({"x": 1}, {"update_id": "7"}, {"update_id": True}, [1]):
            assert (await http.post("/hook", content=json.dumps(not_an_update), headers=headers)).status_code == 400
        assert (await http.post("/hook", content=json.dumps({"update_id": 7}), headers=headers)).status_code == 200
        intake.closing = True
        assert (await http.post("/hook", content=json.dumps({"update_id": 8}), headers=headers)).status_code == 503
        intake.closing, application.running = False, False
        assert (await http.post("/hook", content=b"{}", headers=headers)).status_code == 503, "stopping"
    assert queued == [{"update_id": 7}]


def _put(queued: list[Any]) -> Any:
    async def put(update: Any, body: str) -> bool:
        queued.append(json.loads(body))  # the update's JSON, kept as it came
        return True

    return put

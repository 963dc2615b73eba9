"""/healthz, /readyz and /metrics (bot/web/health.py) without a server: Starlette on
httpx.ASGITransport, a loop watch and a database check of the test's choosing."""

from __future__ import annotations

import time

import httpx
from starlette.applications import Starlette

from bot.runtime import metrics
from bot.runtime.loopwatch import LoopWatch
from bot.web.health import Readiness, health_routes


def _client(readiness: Readiness, token: str | None = None) -> httpx.AsyncClient:
    app = Starlette(routes=health_routes(readiness, token))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test")


async def test_ready_only_once_started_and_until_stopping() -> None:
    watch = LoopWatch()
    watch.start()
    database = {"ok": True}

    async def database_ready() -> bool:
        return database["ok"]

    readiness = Readiness(watch, database_ready)
    async with _client(readiness) as http:
        assert ((await http.get("/readyz")).status_code, (await http.get("/readyz")).text) == (503, "starting")
        readiness.started = True
        assert (await http.get("/readyz")).status_code == 200
        database["ok"] = False
        assert ((await http.get("/readyz")).status_code, (await http.get("/readyz")).text) == (503, "database")
        database["ok"] = True
        readiness.stopping = True
        assert ((await http.get("/readyz")).status_code, (await http.get("/readyz")).text) == (503, "stopping")
        assert (await http.get("/healthz")).status_code == 200, "alive while stopping"
    await watch.stop()


async def test_a_stall_of_seconds_makes_the_process_unhealthy() -> None:
    watch = LoopWatch()
    watch.start()

    async def ready() -> bool:
        return True

    async with _client(Readiness(watch, ready)) as http:
        assert (await http.get("/healthz")).status_code == 200
        watch.last_long_stall = time.perf_counter()  # as the watch records a stall of 5 s or more
        assert (await http.get("/healthz")).status_code == 503
        await watch.stop()
        watch.last_long_stall = None
        assert (await http.get("/healthz")).status_code == 503, "no watch, no proof the loop answers"


async def test_metrics_want_the_token_when_one_is_set() -> None:
    async def ready() -> bool:
        return True

    metrics.job_started("imagine")
    async with _client(Readiness(LoopWatch(), ready), token="s3cret-metrics") as http:
        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        answer = await http.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
        assert 'mjbot_jobs_started_total{kind="imagine"}' in answer.text
        assert 'mjbot_jobs_finished_total{kind="upscale",outcome="done",reason=""} 0.0' in answer.text, "from zero"
        assert 'mjbot_refusals_total{reason="user_daily"} 0.0' in answer.text


def test_job_kinds_are_a_small_fixed_set() -> None:
    assert [metrics.kind_of(a) for a in ("generate", "upscale2", "upscale_4x", "variation3", "variation_region",
            "zoom_out_2x", "pan_left", "reroll", "something_new")] == [
        "imagine", "upscale", "upscale", "vary", "region", "zoom", "pan", "reroll", "other"]  # fmt: skip
    assert metrics.kind_of("generate", pictures=1) == "image_prompt" and metrics.kind_of("generate", pictures=3) == "blend"

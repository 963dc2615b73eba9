"""Shared fixtures. The autouse fixture scrubs the environment so a developer's real tokens or
`.env` never leak into a test."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot.jobs import JobService
from bot.store import Store
from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import ACEDATA_TOKEN, BOT_TOKEN, BotProcess, bot_env
from tests.jobs_kit import Notes, Upstream, running

os.environ.setdefault("PTB_TIMEDELTA", "1")

pytest_plugins = ["tests.postgres"]  # postgres_server, pg_url: a throwaway PostgreSQL server

_PREFIXES = ("TELEGRAM_", "ACEDATA_", "DATABASE_", "REPLICA_", "LOG_", "PUBLIC_", "HTTP_", "MEDIA_", "PROGRESS_", "JOB_", "QUEUE_",
             "ALBUM_", "USER_")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))  # no stray .env is read
    yield


class WallClock:
    """The wall clock a test moves by hand (`clock.now -= 86400`): the store's stamps follow it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall_clock() -> WallClock:
    return WallClock()


@pytest.fixture
async def store(tmp_path: Path, wall_clock: WallClock) -> AsyncIterator[Store]:
    """A fresh store on this test's folder, on `wall_clock`; closed however the test ends."""
    opened = await Store.open(tmp_path / "bot.sqlite3", clock=wall_clock)
    try:
        yield opened
    finally:
        await opened.close()


OpenStore = Callable[..., "Awaitable[Store]"]


@pytest.fixture(params=["sqlite", "postgres"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenStore]:
    """Opens stores on one database of this test's, SQLite or PostgreSQL (the test runs on both):
    each call is another connection to the same database (another replica); all are closed."""
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    opened: list[Store] = []

    async def open_one(**kwargs: object) -> Store:
        store = await Store.open(tmp_path / "bot.sqlite3", url=url, **kwargs)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
def upstream() -> Upstream:
    """AceData behind httpx.MockTransport (tests/jobs_kit.py): script it before using `job_service`."""
    return Upstream()


@pytest.fixture
async def job_service(tmp_path: Path, upstream: Upstream) -> AsyncIterator[tuple[JobService, Store, Notes]]:
    """A started JobService on a fresh store with a recording chat, on the loop's clock; stopped and
    closed however the test ends."""
    async with running(tmp_path, upstream) as started:
        yield started


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(BOT_TOKEN)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def ace() -> Iterator[FakeAceData]:
    fake = FakeAceData(ACEDATA_TOKEN)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def make_bot(
    tg: FakeTelegram, ace: FakeAceData, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BotProcess]]:
    """`make_bot(**env_overrides)` builds a BotProcess on this test's data folder (not started)."""
    made: list[BotProcess] = []

    def make(**overrides: str) -> BotProcess:
        env = bot_env(telegram_url=tg.url, acedata_url=ace.url, data_dir=tmp_path, **overrides)
        process = BotProcess(env, tmp_path / f"bot{len(made)}.log")
        made.append(process)
        return process

    yield make
    for process in made:
        process.close()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(f"--- bot log ({process.log_path.name}) ---\n{process.log()[-6000:]}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end tests first: they run for seconds each, so xdist's workers start on them at once
    instead of finding them at the end of the alphabet and finishing one after another."""
    items.sort(key=lambda item: 0 if "/test_e2e_" in str(item.path) or "bench" in item.name else 1)

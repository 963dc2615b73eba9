"""The store's replica tables on both databases: updates kept until handled, job leases and their
fence, shared pacing, hosted pictures, albums, and (PostgreSQL) what replicas do at the same time."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.domain import Job, JobState, Requester
from bot.store import MIGRATIONS, LeaseLost, Store
from tests.conftest import OpenStore, WallClock


def _job() -> Job:
    return Job(id=0, chat_id=-1, chat_type="group", requester=Requester(5, "Bo", None), prompt="p", upstream_prompt="p")


async def _pair(open_store: OpenStore, clock: WallClock) -> tuple[Store, Store]:
    """Two replicas on one database (with SQLite: two connections to one file)."""
    a, b = await open_store(clock=clock), await open_store(clock=clock)
    a.owner, b.owner = "a", "b"
    return a, b


async def test_an_update_is_taken_once_and_a_dead_claim_is_taken_over(
    open_store: OpenStore, wall_clock: WallClock
) -> None:
    a, b = await _pair(open_store, wall_clock)
    assert await a.replicas.take_update(7, '{"update_id": 7}', "a", wall_clock.now + 30)
    assert not await b.replicas.take_update(7, '{"update_id": 7}', "b", wall_clock.now + 30)  # the duplicate
    assert await b.replicas.claim_stale_updates("b", wall_clock.now + 30) == []  # a still holds it
    wall_clock.now += 31  # a died without finishing it
    assert await b.replicas.claim_stale_updates("b", wall_clock.now + 30) == [(7, '{"update_id": 7}')]
    assert await a.replicas.claim_stale_updates("a", wall_clock.now + 30) == []  # claimed once
    await b.replicas.update_done(7)
    wall_clock.now += 31
    assert await a.replicas.claim_stale_updates("a", wall_clock.now + 30) == []  # handled: never again


async def test_leases_are_renewed_released_and_taken_over(open_store: OpenStore, wall_clock: WallClock) -> None:
    a, b = await _pair(open_store, wall_clock)
    job = await a.create_job(_job())
    done = await a.create_job(_job())
    await a.update_job(done.id, state=JobState.DONE)
    assert await b.replicas.claim_stale_jobs("b", wall_clock.now + 30) == []  # a's lease holds
    wall_clock.now += 20
    assert await a.replicas.renew_leases("a", wall_clock.now + 30) == 1  # the unfinished one only
    wall_clock.now += 20
    assert await b.replicas.claim_stale_jobs("b", wall_clock.now + 30) == []  # renewed: still a's
    assert await a.replicas.release_leases("a") == 1  # a stops: b may take it at once
    [taken] = await b.replicas.claim_stale_jobs("b", wall_clock.now + 30)
    assert taken.id == job.id and taken.state is JobState.QUEUED
    assert await a.replicas.claim_stale_jobs("a", wall_clock.now + 30) == []


async def test_everything_unfinished_is_claimed_at_a_lone_start(open_store: OpenStore, wall_clock: WallClock) -> None:
    a, b = await _pair(open_store, wall_clock)
    job = await a.create_job(_job())
    [taken] = await b.replicas.claim_stale_jobs("b", wall_clock.now + 30, everything=True)
    assert taken.id == job.id


async def test_shared_pacing_books_calls_one_after_another(open_store: OpenStore, wall_clock: WallClock) -> None:
    a, b = await _pair(open_store, wall_clock)
    chat = ("chat:1", 1.0, 0.0)
    assert await a.replicas.reserve([chat]) == 0
    assert await b.replicas.reserve([chat]) == pytest.approx(1.0)  # the other replica waits its turn
    assert await a.replicas.reserve([chat, ("all", 0.1, 0.0)]) == pytest.approx(2.0)
    group = ("group:1", 3.0, 6.0)  # 3 s apart, 2 ahead allowed: 3 at once, the 4th waits
    waits = [await a.replicas.reserve([group]) for _ in range(4)]
    assert waits[:3] == [0, 0, 0] and waits[3] == pytest.approx(3.0)
    await b.replicas.hold("chat:2", wall_clock.now + 40)  # a 429's retry_after
    assert await a.replicas.reserve([("chat:2", 1.0, 0.0)]) == pytest.approx(40.0)
    wall_clock.now += 100
    assert await a.replicas.reserve([chat, ("chat:2", 1.0, 0.0)]) == 0


async def test_hosted_pictures_and_albums_are_shared(open_store: OpenStore, wall_clock: WallClock) -> None:
    a, b = await _pair(open_store, wall_clock)
    await a.replicas.put_media("abc.png", "image/png", b"\x89PNG...", wall_clock.now + 60)
    assert await b.replicas.media("abc.png") == ("image/png", b"\x89PNG...")
    wall_clock.now += 61
    assert await b.replicas.media("abc.png") is None
    assert await a.replicas.take_album(-1, "g1", "a")
    assert not await b.replicas.take_album(-1, "g1", "b")


@pytest.fixture
def pg_only(open_store: OpenStore, request: pytest.FixtureRequest) -> OpenStore:
    if "postgres" not in request.node.callspec.id:
        pytest.skip("several processes on one database: PostgreSQL only")
    return open_store


async def test_a_replica_that_lost_its_lease_cannot_write(pg_only: OpenStore, wall_clock: WallClock) -> None:
    a, b = await _pair(pg_only, wall_clock)
    job = await a.create_job(_job())
    wall_clock.now += 31  # a stalled past its lease
    [taken] = await b.replicas.claim_stale_jobs("b", wall_clock.now + 30)
    with pytest.raises(LeaseLost):
        await a.update_job(job.id, progress=50)
    with pytest.raises(LeaseLost):
        await a.claim_for_submit(job.id, attempts=1)
    assert await b.claim_for_submit(taken.id, attempts=1)
    fetched = await b.get_job(job.id)
    assert fetched is not None and fetched.state is JobState.SUBMITTING and fetched.progress == 0


async def test_replicas_starting_together_migrate_once(pg_only: OpenStore) -> None:
    stores = await asyncio.gather(*(pg_only() for _ in range(3)))
    assert [await s.schema_version() for s in stores] == [len(MIGRATIONS)] * 3


async def test_concurrent_claims_never_take_a_job_twice(pg_only: OpenStore, wall_clock: WallClock) -> None:
    stores = [await pg_only(clock=wall_clock) for _ in range(3)]
    for n, store in enumerate(stores):
        store.owner = f"r{n}"
    jobs = [await stores[0].create_job(_job()) for _ in range(30)]
    wall_clock.now += 31
    claims = await asyncio.gather(
        *(s.replicas.claim_stale_jobs(s.owner, wall_clock.now + 30, limit=7) for s in stores for _ in range(3))
    )
    claimed = [job.id for batch in claims for job in batch]
    assert sorted(claimed) == sorted(job.id for job in jobs)  # each once, none left


async def test_exclusive_is_held_across_replicas(pg_only: OpenStore) -> None:
    a, b = await pg_only(), await pg_only()
    order: list[str] = []

    async def hold(store: Store, name: str) -> None:
        async with store.db.exclusive(42):
            order.append(f"{name} in")
            await asyncio.sleep(0.1)
            order.append(f"{name} out")

    first = asyncio.create_task(hold(a, "a"))
    await asyncio.sleep(0.03)
    await asyncio.gather(first, hold(b, "b"))
    assert order == ["a in", "a out", "b in", "b out"]

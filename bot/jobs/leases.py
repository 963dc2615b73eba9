"""Several replicas on one database: who runs which job, and the account's limits for all of them.

Every job has an owner (the replica that created or claimed it) and a lease that the owner renews
every third of `lease` seconds. A replica that dies stops renewing; another one claims its jobs
once the lease has run out and continues them the way a restart does (a job whose task id is
known is followed, one sent without an answer is looked for, a waiting one is submitted). A
replica that stops (SIGTERM) releases its leases at once. The store fences every write the runner
makes, so a replica that lost a lease cannot overwrite the new owner's work (`LeaseLost`).

`SharedSubmits` keeps ACEDATA_MAX_CONCURRENCY and ACEDATA_SUBMIT_INTERVAL for the account: a submit
is claimed under a database-wide lock, counting the jobs upstream on every replica."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.domain import Job, JobState
from bot.store import Store

log = logging.getLogger(__name__)

SUBMIT_LOCK = 0x6D6A7375  # the advisory lock of a submit's claim ("mjsu")
SUBMIT_KEY = "acedata:submit"


class Leases:
    def __init__(self, store: Store, adopt: Callable[[list[Job]], Awaitable[None]], *, lease: float) -> None:
        self._store = store
        self._adopt = adopt
        self._lease = lease

    @property
    def owner(self) -> str:
        return self._store.owner

    async def claim_at_start(self) -> list[Job]:
        """Jobs to resume now: with a database of its own (SQLite) every unfinished job is this
        process's; with a shared one, only those no live replica holds."""
        until = self._store.replicas.clock() + self._lease
        everything = not self._store.shared
        # Alone on its database, every unfinished job is this process's, however many; shared, the
        # rest of a dead replica's jobs come with the next takeover rounds.
        limit = 10**9 if everything else 100
        return await self._store.replicas.claim_stale_jobs(self.owner, until, limit, everything=everything)

    async def keep_forever(self) -> None:
        """Renew this replica's leases, and take over the jobs of replicas that died."""
        beat = self._lease / 3
        while True:
            await asyncio.sleep(beat * random.uniform(0.9, 1.0))
            try:
                now = self._store.replicas.clock()
                await self._store.replicas.renew_leases(self.owner, now + self._lease)
                taken = await self._store.replicas.claim_stale_jobs(self.owner, now + self._lease)
            except Exception:
                log.exception("renewing job leases failed (retrying)")
                continue
            if taken:
                log.warning("replica %s takes over jobs %s (their replica stopped renewing them)", self.owner,
                            ", ".join(str(job.id) for job in taken))  # fmt: skip
                await self._adopt(taken)

    async def release(self) -> None:
        """Stopping: hand this replica's unfinished jobs to the others now, not after the lease."""
        try:
            released = await self._store.replicas.release_leases(self.owner)
        except Exception:
            log.exception("could not release job leases; they pass to another replica when they run out")
            return
        if released:
            log.info("replica %s released %d unfinished jobs to the other replicas", self.owner, released)


class SharedSubmits:
    """The account's submit slots and pace, held in the shared database."""

    def __init__(self, store: Store, *, concurrency: int, interval: float, retry: float = 1.0) -> None:
        self._store = store
        self._concurrency = concurrency
        self._interval = interval
        self._retry = retry

    async def claim(self, job_id: int, changes: dict[str, Any]) -> bool:
        """QUEUED → SUBMITTING once the account has a free slot and its pace allows a submit;
        False when the job was cancelled meanwhile."""
        while True:
            async with self._store.db.exclusive(SUBMIT_LOCK):
                if await self._store.replicas.active_upstream() < self._concurrency:
                    wait = await self._store.replicas.reserve([(SUBMIT_KEY, self._interval, 0.0)])
                    if wait > 0:
                        await asyncio.sleep(wait)
                    return await self._store.claim_for_submit(job_id, **changes)
            job = await self._store.get_job(job_id)  # every slot is taken: wait, unless cancelled
            if job is None or job.state is not JobState.QUEUED:
                return False
            await asyncio.sleep(self._retry * random.uniform(0.5, 1.5))

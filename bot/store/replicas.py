"""What lets several replicas share one database: updates kept until one replica has handled them,
job leases (claimed, renewed, released, taken over), pacing shared by every replica, pictures any
replica can serve, and albums whose photos arrive at different replicas.

A lease is an owner token and an expiry. Claims skip rows another replica is claiming right now
(`FOR UPDATE SKIP LOCKED` on PostgreSQL) and re-check the expiry in the UPDATE itself, so one row is
never claimed twice."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.domain import Job
from bot.store.rows import FINISHED, IN_PROGRESS, job_from
from bot.store.tables import Tables, upsert

SAVE_MEDIA = upsert("media", ("name", "mime", "data", "expires_at"), ("name",))


class LeaseLost(Exception):
    """Another replica holds the job now (this one's lease ran out): stop working on it."""

    def __init__(self, job_id: int, owner: str | None) -> None:
        super().__init__(f"job {job_id} is held by {owner or 'nobody'} now")
        self.job_id = job_id


class ReplicaTables(Tables):
    # updates: kept from the moment they arrive until one replica has handled them

    async def take_update(self, update_id: int, body: str, owner: str, until: float) -> bool:
        """Record an arriving update, claimed by `owner`: False when it was recorded before (a
        redelivery, or the balancer's duplicate), which is then not handled again."""
        return (
            await self._write(
                "INSERT INTO updates (update_id, body, claimed_by, claimed_until, received_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (update_id, body, owner, until, self._clock()),
            )
            == 1
        )

    async def update_done(self, update_id: int) -> None:
        await self._write("UPDATE updates SET done = 1, body = '' WHERE update_id = ?", (update_id,))

    async def renew_update(self, update_id: int, owner: str, until: float) -> bool:
        """Keep a claim that is about to run out: False when another replica took the update over."""
        return (
            await self._write(
                "UPDATE updates SET claimed_until = ? WHERE update_id = ? AND claimed_by = ? AND done = 0",
                (until, update_id, owner),
            )
            == 1
        )

    async def release_updates(self, owner: str) -> int:
        """A replica stopping: updates it has not finished go to the others at once."""
        return await self._write(
            "UPDATE updates SET claimed_until = 0 WHERE claimed_by = ? AND done = 0", (owner,)
        )

    async def claim_stale_updates(
        self, owner: str, until: float, limit: int = 50, *, everything: bool = False
    ) -> list[tuple[int, str]]:
        """Updates whose handler's replica died before finishing them: claimed for `owner`
        (`everything`: every unfinished one, on a database no other process uses)."""
        now = float("inf") if everything else self._clock()
        rows = await self._returning(
            "UPDATE updates SET claimed_by = ?, claimed_until = ? WHERE update_id IN (SELECT update_id FROM updates"
            f" WHERE done = 0 AND claimed_until < ? ORDER BY update_id LIMIT ? {self._db.lock_rows})"
            " AND done = 0 AND claimed_until < ? RETURNING update_id, body",
            (owner, until, now, limit, now),
        )
        return sorted((int(r[0]), str(r[1])) for r in rows)

    # job leases

    def clock(self) -> float:
        return self._clock()

    async def claim_stale_jobs(
        self, owner: str, until: float, limit: int = 100, *, everything: bool = False
    ) -> list[Job]:
        """Unfinished jobs nobody holds (released, or their replica's lease ran out), for `owner`;
        `everything`: every unfinished job (a database no other process uses)."""
        now = float("inf") if everything else self._clock()
        rows = await self._returning(
            f"UPDATE jobs SET owner = ?, lease_until = ? WHERE id IN (SELECT id FROM jobs WHERE {IN_PROGRESS}"
            f" AND lease_until < ? ORDER BY id LIMIT ? {self._db.lock_rows}) AND {IN_PROGRESS} AND lease_until < ?"
            " RETURNING *",
            (owner, until, *FINISHED, now, limit, *FINISHED, now),
        )
        return sorted((job_from(r) for r in rows), key=lambda job: job.id)

    async def renew_leases(self, owner: str, until: float) -> int:
        return await self._write(
            f"UPDATE jobs SET lease_until = ? WHERE owner = ? AND {IN_PROGRESS}", (until, owner, *FINISHED)
        )

    async def release_leases(self, owner: str) -> int:
        """A replica stopping: its unfinished jobs are free for the others at once."""
        return await self._write(
            f"UPDATE jobs SET owner = NULL, lease_until = 0 WHERE owner = ? AND {IN_PROGRESS}", (owner, *FINISHED)
        )

    async def active_upstream(self) -> int:
        """Jobs upstream now (submitted, or being submitted), across every replica."""
        row = await self._one("SELECT COUNT(*) FROM jobs WHERE state IN ('submitting', 'running')")
        return int(row[0]) if row else 0

    # pacing shared by every replica: one "theoretical arrival time" a key (GCRA)

    async def reserve(self, keys: Sequence[tuple[str, float, float]]) -> float:
        """Book the next call for each (key, spacing, burst); returns how long to wait before it.
        One statement for all keys: a key's time moves on by its spacing, from now or from where
        it stood; the call may go once every key allows it (a burst lets one run ahead)."""
        now = self._clock()
        keys = sorted(keys)  # every replica locks the rows in one order: no deadlock
        names = [key for key, _, _ in keys]
        marks = ", ".join("?" * len(keys))
        async with self._db.transaction() as tx:
            rows = await tx.all(f"SELECT key, tat FROM pacing WHERE key IN ({marks}) ORDER BY key FOR UPDATE", names)
            tats = {str(r[0]): float(r[1]) for r in rows}
            # The call goes when every key allows it, and every key is booked from then: a key
            # booked from "now" while another makes the call wait would let calls bunch up later.
            at = max([now, *(tats.get(key, 0.0) - burst for key, _, burst in keys)])
            await tx.execute(
                f"INSERT INTO pacing (key, tat) VALUES {', '.join('(?, ?)' for _ in keys)}"
                " ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
                [x for key, step, _ in keys for x in (key, max(tats.get(key, 0.0), at) + step)],
            )
        return at - now

    async def hold(self, key: str, until: float) -> None:
        """Telegram said wait (a 429): nothing on `key` before `until`, on any replica."""
        await self._write(
            f"INSERT INTO pacing (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
            f" tat = {self._db.greatest}(pacing.tat, excluded.tat)",
            (key, until),
        )

    # pictures the bot hosts (PUBLIC_URL/media/…), served by whichever replica is asked

    async def put_media(self, name: str, mime: str, data: bytes, expires_at: float) -> None:
        await self._write(SAVE_MEDIA, (name, mime, data, expires_at))

    async def media(self, name: str) -> tuple[str, bytes] | None:
        row = await self._one("SELECT mime, data FROM media WHERE name = ? AND expires_at > ?", (name, self._clock()))
        return (str(row[0]), bytes(row[1])) if row else None

    # albums: each photo is kept as it arrives (at any replica); one replica acts on the album

    async def album_last_seen(self, chat_id: int, media_group_id: str) -> float | None:
        row = await self._one(
            "SELECT MAX(created_at) FROM album_items WHERE chat_id = ? AND media_group_id = ?", (chat_id, media_group_id)
        )
        return float(row[0]) if row and row[0] is not None else None

    async def take_album(self, chat_id: int, media_group_id: str, owner: str) -> bool:
        """True for the one replica that acts on this album."""
        return (
            await self._write(
                "INSERT INTO albums (chat_id, media_group_id, taken_by, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (chat_id, media_group_id, owner, self._clock()),
            )
            == 1
        )

    async def album_messages(self, chat_id: int, media_group_id: str) -> list[str]:
        rows = await self._returning(
            "SELECT message FROM album_items WHERE chat_id = ? AND media_group_id = ? AND message IS NOT NULL"
            " ORDER BY message_id",
            (chat_id, media_group_id),
        )
        return [str(r[0]) for r in rows]

"""Persistence: jobs, finished images, button keys, seen updates; SQLite by default, PostgreSQL
with `DATABASE_URL` (`db.py` is the seam). `schema.MIGRATIONS` brings any older database up to date.
Row ↔ domain conversion is in `rows.py`.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core.domain import Job, JobState
from bot.runtime import origin
from bot.store.db import Database, open_database
from bot.store.images import ImageTables
from bot.store.intake import IntakeTables
from bot.store.panels import PanelTable
from bot.store.pickers import PickerTable
from bot.store.profiles import ProfileTable
from bot.store.replicas import LeaseLost, ReplicaTables
from bot.store.rows import (
    FINISHED,
    IN_PROGRESS,
    UPDATABLE,
    job_from,
    pictures_json,
)
from bot.store.schema import MIGRATIONS
from bot.store.usage import UsageTable


class Store(IntakeTables, ImageTables):
    """All SQL of the job flow lives here (the operator's records are `usage.py`'s). Methods
    commit on their own."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        super().__init__(db, clock)
        # Who holds the jobs this process creates or claims, and for how long a lease lasts; with a
        # shared database the job writes are fenced (`LeaseLost` once another replica holds it).
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.lease = 30.0
        self.replicas = ReplicaTables(db, clock)
        self.usage = UsageTable(db, clock)
        self.profiles = ProfileTable(db, clock)
        self.panels = PanelTable(db, clock)
        self.pickers = PickerTable(db, clock)

    @classmethod
    async def open(
        cls, path: Path | str, clock: Callable[[], float] = time.time, *, url: str | None = None
    ) -> Store:
        """PostgreSQL at `url` when given, else SQLite at `path`; migrated before it is returned."""
        db = await open_database(url, path)
        try:
            await db.migrate(MIGRATIONS)
        except BaseException:
            await db.close()
            raise
        return cls(db, clock)

    @property
    def shared(self) -> bool:
        """Other processes (replicas) use this database too."""
        return self._db.shared

    @property
    def db(self) -> Database:
        return self._db

    async def close(self) -> None:
        await self._db.close()

    async def ready(self) -> bool:
        """The database answers and every migration is applied (the readiness probe)."""
        try:
            return await self.schema_version() == len(MIGRATIONS)
        except Exception:
            return False

    async def schema_version(self) -> int:
        return await self._db.version()

    # jobs

    async def create_job(self, job: Job) -> Job:
        """Insert `job` (its id is ignored) and return it with the id and timestamps set."""
        now = self._clock()
        values = self._job_values(job)
        values["state"] = str(job.state)
        values["owner"], values["lease_until"] = self.owner, now + self.lease
        values["origin_update"] = origin.update_id()
        columns = ", ".join([*values, "created_at", "updated_at"])
        marks = ", ".join("?" * (len(values) + 2))
        rows = await self._returning(
            f"INSERT INTO jobs ({columns}) VALUES ({marks}) RETURNING id", [*values.values(), now, now]
        )
        created = await self.get_job(int(rows[0][0]))
        assert created is not None
        return created

    @staticmethod
    def _job_values(job: Job) -> dict[str, Any]:
        return {
            "chat_id": job.chat_id, "chat_type": job.chat_type, "user_id": job.requester.user_id,
            "first_name": job.requester.first_name, "username": job.requester.username, "prompt": job.prompt,
            "upstream_prompt": job.upstream_prompt, "action": job.action, "parent_image_id": job.parent_image_id,
            "mode": job.mode, "mask": job.mask, "reply_to": job.reply_to, "message_id": job.message_id,
            "button_key": job.button_key, "state": str(job.state), "task_id": job.task_id,
            "progress": job.progress, "preview_url": job.preview_url, "error": job.error,
            "result_image_id": job.result_image_id, "attempts": job.attempts,
            "sources": pictures_json(job.sources), "callback_secret": job.callback_secret,
            "trace_id": job.trace_id, "lang": job.requester.lang, "translate": int(job.translate),
            "notify": int(job.notify),
        }  # fmt: skip

    async def update_job(self, job_id: int, **fields: Any) -> None:
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise ValueError(f"not job columns: {sorted(unknown)}")
        fields = {k: (str(v) if isinstance(v, JobState) else v) for k, v in fields.items()}
        assignments = ", ".join(f"{name} = ?" for name in fields)
        await self._fenced(
            job_id, f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ?", [*fields.values(), self._clock(), job_id]
        )

    async def _fenced(self, job_id: int, sql: str, params: list[Any]) -> bool:
        """A write to a job this replica runs: only while it holds the job's lease (shared
        database); True when a row changed."""
        if not self.shared:
            return await self._write(sql, params) == 1
        if await self._write(f"{sql} AND owner = ?", [*params, self.owner]) == 1:
            return True
        row = await self._one("SELECT owner FROM jobs WHERE id = ?", (job_id,))
        if row is not None and row[0] != self.owner:
            raise LeaseLost(job_id, row[0])
        return False

    async def job_of_update(self, update_id: int) -> Job | None:
        """The job an update already made (it is being handled a second time)."""
        row = await self._one("SELECT * FROM jobs WHERE origin_update = ?", (update_id,))
        return job_from(row) if row else None

    async def get_job(self, job_id: int) -> Job | None:
        row = await self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return job_from(row) if row else None

    async def first_message(self, job_id: int, message_id: int) -> None:
        """The job's first message went out (unless its result already took another message)."""
        await self._write("UPDATE jobs SET message_id = ? WHERE id = ? AND message_id IS NULL", (message_id, job_id))

    async def release_message(self, job_id: int) -> bool:
        """Hand a failed job's message over to its retry, once: False when already handed over."""
        changed = await self._write(
            "UPDATE jobs SET message_id = NULL WHERE id = ? AND message_id IS NOT NULL", (job_id,)
        )
        return changed == 1

    async def task_claimed(self, task_id: str, job_id: int) -> bool:
        """Whether another job already follows this upstream task."""
        return await self._one("SELECT 1 FROM jobs WHERE task_id = ? AND id != ?", (task_id, job_id)) is not None

    async def unfinished_jobs(self) -> list[Job]:
        return [
            job_from(row)
            for row in await self._all(
                f"SELECT * FROM jobs WHERE {IN_PROGRESS} ORDER BY id",
                FINISHED,
            )
        ]

    async def active_jobs_of(self, user_id: int) -> int:
        row = await self._one(
            f"SELECT COUNT(*) FROM jobs WHERE user_id = ? AND {IN_PROGRESS}",
            [user_id, *FINISHED],
        )
        return int(row[0]) if row else 0

    async def jobs_in_progress_of(self, user_id: int) -> list[Job]:
        rows = await self._all(
            f"SELECT * FROM jobs WHERE user_id = ? AND {IN_PROGRESS} ORDER BY id", [user_id, *FINISHED]
        )
        return [job_from(row) for row in rows]

    async def cancel_job(self, job_id: int) -> bool:
        """QUEUED → CANCELLED, only if it is still queued (never submitted): True when it was."""
        changed = await self._write(
            "UPDATE jobs SET state = 'cancelled', reason = 'cancelled', finished_at = ?, updated_at = ?"
            " WHERE id = ? AND state = 'queued'",
            (self._clock(), self._clock(), job_id),
        )
        return changed == 1

    async def cancelled_among(self, job_ids: list[int]) -> list[int]:
        """Which of these jobs are cancelled (through another replica, while this one held them)."""
        rows = await self._all(
            f"SELECT id FROM jobs WHERE state = 'cancelled' AND id IN ({', '.join('?' * len(job_ids))})", job_ids
        )
        return [int(r[0]) for r in rows]

    async def end_unless_cancelled(self, job_id: int, **fields: Any) -> bool:
        """End a job with `fields` unless its owner cancelled it meanwhile: True when it was ended."""
        if set(fields) - UPDATABLE:
            raise ValueError(f"not job columns: {sorted(set(fields) - UPDATABLE)}")
        fields = {k: (str(v) if isinstance(v, JobState) else v) for k, v in fields.items()}
        assignments = "".join(f", {name} = ?" for name in fields)
        return await self._fenced(
            job_id,
            f"UPDATE jobs SET updated_at = ?{assignments} WHERE id = ? AND state != 'cancelled'",
            [self._clock(), *fields.values(), job_id],
        )

    async def claim_for_submit(self, job_id: int, **fields: Any) -> bool:
        """QUEUED → SUBMITTING with `fields`, unless it was cancelled meanwhile: True when claimed."""
        if set(fields) - UPDATABLE:
            raise ValueError(f"not job columns: {sorted(set(fields) - UPDATABLE)}")
        assignments = "".join(f", {name} = ?" for name in fields)
        return await self._fenced(
            job_id,
            f"UPDATE jobs SET state = 'submitting'{assignments}, updated_at = ? WHERE id = ? AND state = 'queued'",
            [*fields.values(), self._clock(), job_id],
        )

    async def active_job_for_button(self, key: str) -> Job | None:
        row = await self._one(
            f"SELECT * FROM jobs WHERE button_key = ? AND {IN_PROGRESS} LIMIT 1",
            [key, *FINISHED],
        )
        return job_from(row) if row else None

    async def prune(self, now: float, *, keep_days: float = 7.0) -> int:
        """Drop what nothing needs any more; returns the rows touched. Jobs, images and button
        keys stay: buttons on old pictures keep working, and the jobs are the usage record.
        Closed pickers go after a day and open ones after `keep_days`; a finished picture's
        mask (tens of KB) is dropped after a day; expired hosting, old albums and updates go."""
        day, keep = now - 86400, now - keep_days * 86400
        touched = 0
        for sql, params in (
            ("DELETE FROM pickers WHERE (state != 'open' AND created_at < ?) OR created_at < ?", (day, keep)),
            ("UPDATE jobs SET mask = NULL WHERE mask IS NOT NULL AND state = 'done' AND updated_at < ?", (day,)),
            ("DELETE FROM hosted WHERE expires_at < ?", (now,)),
            ("DELETE FROM media WHERE expires_at < ?", (now,)),
            ("DELETE FROM updates WHERE done = 1 AND received_at < ?", (keep,)),
            ("DELETE FROM albums WHERE created_at < ?", (keep,)),
            ("DELETE FROM pacing WHERE tat < ?", (now - 3600,)),
            ("DELETE FROM album_items WHERE created_at < ?", (keep,)),
            ("DELETE FROM seen_updates WHERE seen_at < ?", (keep,)),
            ("DELETE FROM panels WHERE created_at < ?", (now - 30 * 86400,)),
            ("DELETE FROM chats WHERE chat_id NOT IN (SELECT chat_id FROM jobs)", ()),  # no job: no report
        ):
            touched += await self._write(sql, params)
        return touched

    async def move_job_message(self, job_id: int, message_id: int) -> None:
        """A job's end was sent as a new message: the job and its Retry button live there now."""
        await self._batch(
            ("UPDATE jobs SET message_id = ? WHERE id = ?", (message_id, job_id)),
            ("UPDATE buttons SET message_id = ? WHERE job_id = ?", (message_id, job_id)),
        )

"""Finished pictures and their buttons: the image rows, button keys (created once per image), the
Retry button of a failed job, and where each result's message is now."""

from __future__ import annotations

import json
from collections.abc import Iterable

from bot.core.domain import Button, Image, Job
from bot.store.rows import button_from, image_from, job_from, new_key
from bot.store.tables import Tables, upsert

IMAGE_COLUMNS = (
    "image_id", "task_id", "job_id", "chat_id", "message_id", "prompt", "image_url", "image_width", "image_height",
    "raw_image_url", "raw_image_width", "raw_image_height", "is_grid", "actions", "created_at", "lang",
)  # fmt: skip
SAVE_IMAGE = upsert("images", IMAGE_COLUMNS, ("image_id",))


class ImageTables(Tables):
    async def save_image(self, image: Image, job_id: int | None = None) -> None:
        await self._write(
            SAVE_IMAGE,
            (
                image.image_id, image.task_id, job_id, image.chat_id, image.message_id, image.prompt,
                image.image_url, image.image_width, image.image_height, image.raw_image_url,
                image.raw_image_width, image.raw_image_height, int(image.is_grid), json.dumps(list(image.actions)),
                self._clock(), image.lang,
            ),
        )  # fmt: skip

    async def get_image(self, image_id: str) -> Image | None:
        row = await self._one("SELECT * FROM images WHERE image_id = ?", (image_id,))
        return image_from(row) if row else None

    async def create_buttons(
        self, image_id: str, actions: Iterable[str], *, chat_id: int, message_id: int, owner_id: int
    ) -> tuple[Button, ...]:
        """Keys for every action of an image, created once: calling again returns the same keys."""
        existing = await self.buttons_for_image(image_id)
        if existing:
            return existing
        now = self._clock()
        rows = [
            (new_key(), image_id, action, chat_id, message_id, owner_id, i, now)
            for i, action in enumerate(actions)
        ]
        await self._db.many(
            "INSERT INTO buttons (key, image_id, action, chat_id, message_id, owner_id, position, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return tuple(Button(r[0], image_id, r[2], chat_id, message_id) for r in rows)

    async def retry_button(self, job: Job) -> Button:
        """The Retry button of a failed job (one per job, reused)."""
        assert job.message_id is not None
        row = await self._one("SELECT * FROM buttons WHERE job_id = ? LIMIT 1", (job.id,))
        if row:
            return button_from(row)
        key = new_key()
        await self._write(
            "INSERT INTO buttons (key, image_id, action, chat_id, message_id, owner_id, position, created_at, job_id)"
            " VALUES (?, '', 'retry', ?, ?, ?, 0, ?, ?)",
            (key, job.chat_id, job.message_id, job.requester.user_id, self._clock(), job.id),
        )
        return Button(key, "", "retry", job.chat_id, job.message_id, job_id=job.id)

    async def job_by_callback(self, secret: str) -> Job | None:
        row = await self._one("SELECT * FROM jobs WHERE callback_secret = ?", (secret,))
        return job_from(row) if row else None

    async def buttons_for_image(self, image_id: str) -> tuple[Button, ...]:
        return tuple(
            button_from(row)
            for row in await self._all(
                "SELECT * FROM buttons WHERE image_id = ? ORDER BY position", (image_id,)
            )
        )

    async def get_button(self, key: str) -> Button | None:
        row = await self._one("SELECT * FROM buttons WHERE key = ?", (key,))
        return button_from(row) if row else None

    async def mark_pressed(self, key: str) -> None:
        await self._write("UPDATE buttons SET pressed = 1 WHERE key = ?", (key,))

    async def image_at(self, chat_id: int, message_id: int) -> Image | None:
        """The bot's result shown in that message, if it is one."""
        row = await self._one(
            "SELECT * FROM images WHERE chat_id = ? AND message_id = ? LIMIT 1", (chat_id, message_id)
        )
        return image_from(row) if row else None

    async def move_result(self, image_id: str, message_id: int) -> None:
        """The result was re-sent as a new message: its buttons now live there."""
        await self._batch(
            ("UPDATE images SET message_id = ? WHERE image_id = ?", (message_id, image_id)),
            ("UPDATE buttons SET message_id = ? WHERE image_id = ?", (message_id, image_id)),
        )

"""What arrives before it is a job: update ids already seen (a redelivery is handled once), the
photos of an album being gathered, and users' pictures already hosted (hosted once, reused)."""

from __future__ import annotations

from bot.core.domain import Picture
from bot.store.tables import Tables, upsert


class IntakeTables(Tables):
    async def first_sighting(self, update_id: int) -> bool:
        """Record an update id; False when it was handled before (Telegram redelivers after a crash)."""
        count = await self._write(
            "INSERT INTO seen_updates (update_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING", (update_id, self._clock())
        )
        return count == 1

    async def hosted_url(self, file_key: str) -> str | None:
        row = await self._one(
            "SELECT url FROM hosted WHERE file_key = ? AND expires_at > ?", (file_key, self._clock())
        )
        return str(row[0]) if row else None

    async def save_hosted(self, file_key: str, url: str, expires_at: float) -> None:
        await self._batch(
            (upsert("hosted", ("file_key", "url", "expires_at"), ("file_key",)), (file_key, url, expires_at)),
            ("DELETE FROM hosted WHERE expires_at < ?", (self._clock(),)),
        )

    async def remember_album_item(
        self, chat_id: int, media_group_id: str, message_id: int, picture: Picture, message: str | None = None
    ) -> None:
        """A photo of an album (and its whole message, for the replica that acts on the album)."""
        await self._write(
            upsert("album_items", ("chat_id", "media_group_id", "message_id", "file_id", "file_unique_id",
                                   "created_at", "message"), ("chat_id", "message_id")),
            (chat_id, media_group_id, message_id, picture.file_id, picture.file_unique_id or "", self._clock(),
             message),
        )  # fmt: skip

    async def album(self, chat_id: int, media_group_id: str) -> tuple[Picture, ...]:
        return tuple(
            Picture(row[0], row[1] or None)
            for row in await self._all(
                "SELECT file_id, file_unique_id FROM album_items WHERE chat_id = ? AND media_group_id = ?"
                " ORDER BY message_id",
                (chat_id, media_group_id),
            )
        )

"""Vary (Region) pickers: which grid cells of an image someone is choosing, kept across restarts."""

from __future__ import annotations

from bot.core.domain import Picker
from bot.store.rows import cells_text, picker_from
from bot.store.tables import Tables


class PickerTable(Tables):
    async def create(self, picker: Picker) -> None:
        await self._write(
            "INSERT INTO pickers (key, chat_id, message_id, reply_to, image_id, owner_id, owner_name, owner_username,"
            " owner_lang, cells, prompt, state, created_at, touched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                picker.key, picker.chat_id, picker.message_id, picker.reply_to, picker.image_id, picker.owner.user_id,
                picker.owner.first_name, picker.owner.username, picker.owner.lang, cells_text(picker.cells),
                picker.prompt, picker.state, self._clock(), self._clock(),
            ),
        )  # fmt: skip

    async def get(self, key: str) -> Picker | None:
        row = await self._one("SELECT * FROM pickers WHERE key = ?", (key,))
        return picker_from(row) if row else None

    async def at(self, chat_id: int, message_id: int) -> Picker | None:
        row = await self._one(
            "SELECT * FROM pickers WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
        )
        return picker_from(row) if row else None

    async def open_of(self, chat_id: int, image_id: str, owner_id: int) -> Picker | None:
        """The picker this person already has open on this picture in this chat, if any."""
        row = await self._one(
            "SELECT * FROM pickers WHERE image_id = ? AND owner_id = ? AND chat_id = ? AND state = 'open'"
            " ORDER BY created_at DESC LIMIT 1",
            (image_id, owner_id, chat_id),
        )
        return picker_from(row) if row else None

    async def idle_since(self, before: float, limit: int = 100) -> list[Picker]:
        """Open pickers nobody has touched since `before` (abandoned: they expire)."""
        rows = await self._all(
            "SELECT * FROM pickers WHERE state = 'open' AND touched_at < ? ORDER BY touched_at LIMIT ?", (before, limit)
        )
        return [picker_from(row) for row in rows]

    async def save(self, picker: Picker) -> bool:
        """Store a change of an open picker (its cells, prompt, or the state it closes into); False
        when it was closed meanwhile (nothing is reopened). Its message is `attach`'s and `detach`'s."""
        changed = await self._write(
            "UPDATE pickers SET cells = ?, prompt = ?, state = ?, touched_at = ? WHERE key = ? AND state = 'open'",
            (cells_text(picker.cells), picker.prompt, picker.state, self._clock(), picker.key),
        )
        return changed > 0

    async def touch(self, key: str) -> None:
        """Someone is at work on it (the Draw mask page is open): it does not expire yet."""
        await self._write("UPDATE pickers SET touched_at = ? WHERE key = ? AND state = 'open'", (self._clock(), key))

    async def attach(self, key: str, message_id: int) -> bool:
        """The open picker's message is this one now; False when it closed (or has one) meanwhile."""
        changed = await self._write(
            "UPDATE pickers SET message_id = ?, touched_at = ? WHERE key = ? AND state = 'open' AND message_id IS NULL",
            (message_id, self._clock(), key),
        )
        return changed > 0

    async def detach(self, key: str, message_id: int) -> bool:
        """Take an open picker off its message (to post it again): True for exactly one caller;
        taps on the old message find no picker from here on."""
        changed = await self._write(
            "UPDATE pickers SET message_id = NULL WHERE key = ? AND message_id = ? AND state = 'open'", (key, message_id)
        )
        return changed > 0

    async def close_if_open(self, key: str, state: str) -> bool:
        """Close a picker that is still open (expired, replaced); False when it was closed meanwhile."""
        changed = await self._write(
            "UPDATE pickers SET state = ?, touched_at = ? WHERE key = ? AND state = 'open'", (state, self._clock(), key)
        )
        return changed > 0

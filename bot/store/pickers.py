"""Vary (Region) pickers: which grid cells of an image someone is choosing, kept across restarts."""

from __future__ import annotations

import time

from bot.domain import Picker
from bot.store.rows import cells_text, picker_from
from bot.store.tables import Tables


class PickerTable(Tables):
    async def create(self, picker: Picker) -> None:
        await self._write(
            "INSERT INTO pickers (key, chat_id, message_id, reply_to, image_id, owner_id, owner_name, owner_lang, cells,"
            " prompt, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                picker.key, picker.chat_id, picker.message_id, picker.reply_to, picker.image_id, picker.owner.user_id,
                picker.owner.first_name, picker.owner.lang, cells_text(picker.cells), picker.prompt, picker.state,
                time.time(),
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

    async def save(self, picker: Picker) -> None:
        await self._write(
            "UPDATE pickers SET message_id = ?, cells = ?, prompt = ?, state = ? WHERE key = ?",
            (picker.message_id, cells_text(picker.cells), picker.prompt, picker.state, picker.key),
        )

"""Messages with buttons that belong to one person: a /settings panel, the prompts /describe and
/shorten suggest. The key goes in callback data; the row says whose it is and where it is."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.core.domain import PanelKind, Requester
from bot.store.rows import new_key
from bot.store.tables import Tables


@dataclass(frozen=True)
class Panel:
    key: str
    kind: PanelKind
    chat_id: int
    owner: Requester
    message_id: int | None = None
    items: tuple[str, ...] = ()  # the suggested prompts


class PanelTable(Tables):
    async def create(self, kind: PanelKind, chat_id: int, owner: Requester, items: tuple[str, ...] = ()) -> Panel:
        panel = Panel(new_key(), kind, chat_id, owner, None, items)
        await self._write(
            "INSERT INTO panels (key, kind, chat_id, owner_id, owner_name, owner_username, owner_lang, payload,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (panel.key, kind, chat_id, owner.user_id, owner.first_name, owner.username, owner.lang,
             json.dumps(list(items), ensure_ascii=False), self._clock()),
        )  # fmt: skip
        return panel

    async def get(self, key: str) -> Panel | None:
        row = await self._one("SELECT * FROM panels WHERE key = ?", (key,))
        if row is None:
            return None
        owner = Requester(row["owner_id"], row["owner_name"], row["owner_username"], row["owner_lang"])
        items = tuple(str(i) for i in json.loads(row["payload"]))
        return Panel(row["key"], PanelKind(row["kind"]), row["chat_id"], owner, row["message_id"], items)

    async def placed(self, key: str, message_id: int, items: tuple[str, ...] | None = None) -> None:
        """The panel's message was sent (and, for suggestions, its prompts are known)."""
        if items is None:
            await self._write("UPDATE panels SET message_id = ? WHERE key = ?", (message_id, key))
            return
        await self._write(
            "UPDATE panels SET message_id = ?, payload = ? WHERE key = ?",
            (message_id, json.dumps(list(items), ensure_ascii=False), key),
        )

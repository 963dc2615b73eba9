"""What handlers reach (`TelegramServices`), through a typed `CallbackContext`."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services
from bot.telegram.albums import AlbumCollector
from bot.telegram.briefs import Briefs
from bot.telegram.notifier import TelegramNotifier

TITLES_KEPT = 2000  # groups whose title is remembered (a forgotten one is only written again)


@dataclass
class TelegramServices:
    """What handlers reach: the services (`core`), plus what only Telegram has: the chat notifier,
    the album collector and the short replies of groups."""

    core: Services
    notifier: TelegramNotifier
    albums: AlbumCollector
    briefs: Briefs
    webhook_secret: str | None = None
    _titles: OrderedDict[int, str] = field(default_factory=OrderedDict)  # the most recent groups

    async def note_chat(self, chat_id: int, title: str | None) -> None:
        """Keep a group's title for the operator's reports (written when it changes)."""
        if title and self._titles.get(chat_id) != title:
            self._titles[chat_id] = title
            self._titles.move_to_end(chat_id)
            while len(self._titles) > TITLES_KEPT:
                self._titles.popitem(last=False)
            await self.core.store.usage.remember_chat(chat_id, title)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """`context.services` instead of string lookups in `bot_data` all over the handlers."""

    @property
    def services(self) -> TelegramServices:
        wing = self.application.bot_data.get("services")
        if not isinstance(wing, TelegramServices):
            raise RuntimeError("services are not ready yet")
        return wing


BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]

"""The Telegram wing's bundle, reached by handlers through a typed `CallbackContext`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.features.access import Access
from bot.features.buttons import ButtonService
from bot.features.profiles import Profiles
from bot.features.regions import RegionService
from bot.features.suggestions import Suggestions
from bot.jobs import JobService
from bot.services import Services
from bot.store import Store
from bot.telegram.albums import AlbumCollector
from bot.telegram.briefs import Briefs
from bot.telegram.notifier import TelegramNotifier


@dataclass
class Wing:
    """The services, plus what only Telegram has: the chat notifier and the album collector."""

    core: Services
    notifier: TelegramNotifier
    albums: AlbumCollector
    briefs: Briefs
    webhook_secret: str | None = None
    _titles: dict[int, str] = field(default_factory=dict)

    async def note_chat(self, chat_id: int, title: str | None) -> None:
        """Keep a group's title for the operator's reports (written when it changes)."""
        if title and self._titles.get(chat_id) != title:
            self._titles[chat_id] = title
            await self.core.store.usage.remember_chat(chat_id, title)

    @property
    def access(self) -> Access:
        return self.core.access

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def jobs(self) -> JobService:
        return self.core.jobs

    @property
    def regions(self) -> RegionService:
        return self.core.regions

    @property
    def buttons(self) -> ButtonService:
        return self.core.buttons

    @property
    def profiles(self) -> Profiles:
        return self.core.profiles

    @property
    def suggestions(self) -> Suggestions:
        return self.core.suggestions


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """`context.services` instead of string lookups in `bot_data` all over the handlers."""

    @property
    def services(self) -> Wing:
        wing = self.application.bot_data.get("services")
        if not isinstance(wing, Wing):
            raise RuntimeError("services are not ready yet")
        return wing


BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]

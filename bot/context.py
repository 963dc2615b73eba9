"""The services bundle handlers reach through a typed `CallbackContext`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.handlers.albums import AlbumCollector
from bot.jobs import JobService
from bot.loopwatch import LoopWatch
from bot.notifier import TelegramNotifier
from bot.regions import RegionService
from bot.store import Store
from bot.web import WebServer


@dataclass
class Services:
    settings: Settings
    http: httpx.AsyncClient
    store: Store
    notifier: TelegramNotifier
    jobs: JobService
    albums: AlbumCollector
    regions: RegionService
    web: WebServer | None
    loopwatch: LoopWatch
    webhook_secret: str | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """`context.services` instead of string lookups in `bot_data` all over the handlers."""

    @property
    def services(self) -> Services:
        services = self.application.bot_data.get("services")
        if not isinstance(services, Services):
            raise RuntimeError("services are not ready yet")
        return services


BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]

"""`build_application(settings)`: the one place where the bot is wired together."""

from __future__ import annotations

import logging
import time
from typing import Any, cast

import httpx
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
)

from bot.config import Settings
from bot.context import BotApplication, BotContext, Services
from bot.handlers.basics import help_command, on_error, only_once
from bot.handlers.buttons import button
from bot.handlers.imagine import imagine
from bot.imagine import ImagineClient
from bot.jobs import JobConfig, JobService
from bot.notifier import Limits, TelegramNotifier
from bot.store import Store

log = logging.getLogger(__name__)

COMMANDS = (
    BotCommand("imagine", "Draw a picture: /imagine a red fox in snow --ar 3:2"),
    BotCommand("help", "How to use the bot"),
)
SEEN_UPDATES_KEPT = 7 * 24 * 3600


def build_application(settings: Settings) -> BotApplication:
    api = settings.telegram_api_url
    application = cast(
        BotApplication,
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(64)
        .post_init(_post_init(settings))
        .post_shutdown(_post_shutdown)
        .build(),
    )
    application.add_handler(TypeHandler(Update, only_once), group=-1)
    application.add_handler(CommandHandler("imagine", imagine))
    application.add_handler(CommandHandler(["start", "help"], help_command))
    application.add_handler(CallbackQueryHandler(button))
    application.add_error_handler(on_error)
    return application


def _post_init(settings: Settings) -> Any:
    async def post_init(application: BotApplication) -> None:
        store = await Store.open(settings.database_path)
        await store.forget_updates_before(time.time() - SEEN_UPDATES_KEPT)
        http = httpx.AsyncClient(limits=httpx.Limits(max_connections=None, max_keepalive_connections=50))
        client = ImagineClient(
            http,
            base_url=settings.acedata_api_url,
            token=settings.acedata_api_token.get_secret_value(),
            platform_url=settings.acedata_platform_url,
            platform_token=settings.platform_token.get_secret_value(),
        )
        notifier = TelegramNotifier(
            application.bot,
            http,
            Limits(
                chat_interval=settings.telegram_chat_interval,
                group_per_minute=settings.telegram_group_per_minute,
                global_per_second=settings.telegram_global_per_second,
                progress_interval=settings.progress_edit_interval,
            ),
        )
        jobs = JobService(
            store,
            client,
            notifier,
            JobConfig(
                concurrency=settings.acedata_max_concurrency,
                submit_interval=settings.acedata_submit_interval,
                deadline=settings.job_timeout_minutes * 60,
            ),
        )
        application.bot_data["services"] = Services(settings, http, store, notifier, jobs)
        try:
            await application.bot.set_my_commands(list(COMMANDS))
        except TelegramError as exc:
            log.warning("could not register the command menu: %s", exc)
        await jobs.start()
        log.info("bot @%s is up", application.bot.username)

    return post_init


async def _post_shutdown(application: BotApplication) -> None:
    services = application.bot_data.get("services")
    if not isinstance(services, Services):
        return
    await services.jobs.stop()
    await services.notifier.aclose()
    await services.http.aclose()
    await services.store.close()

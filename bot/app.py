"""Wiring: `build_application` (handlers), `start_services`/`stop_services`, and `run`."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import signal
import time
from collections.abc import Coroutine
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from starlette.routing import BaseRoute
from telegram import BotCommand, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import Settings
from bot.context import BotApplication, BotContext, Services
from bot.handlers.albums import AlbumCollector
from bot.handlers.basics import help_command, on_error, only_once
from bot.handlers.buttons import button, picker_prompt
from bot.handlers.imagine import album_complete, album_item, command
from bot.handlers.pictures import telegram_fetch
from bot.handlers.webhook import webhook_route
from bot.httpclient import AsyncClient, TelegramRequest
from bot.imagine import ImagineClient
from bot.jobs import JobConfig, JobService
from bot.loopwatch import LoopWatch
from bot.media import AceDataHost, Host, LocalHost, MediaService
from bot.notifier import Limits, TelegramNotifier
from bot.regions import RegionService
from bot.store import Store
from bot.web import CALLBACK_PATH, WebServer, callback_route, media_route
from bot.webapp import WEBAPP_PATH, webapp_routes

log = logging.getLogger(__name__)

COMMANDS = (
    BotCommand("imagine", "Draw a picture: /imagine a red fox in snow --ar 3:2"),
    BotCommand("blend", "Blend 2–5 pictures (album caption, reply, or links)"),
    BotCommand("help", "How to use the bot"),
)
SEEN_UPDATES_KEPT = 7 * 24 * 3600
ALBUM_WAIT_SECONDS = 1.5
_CAPTION_COMMAND = filters.CaptionRegex(r"(?i)^/(imagine|blend)(@\w+)?(\s|$)")


class _InAlbum(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return bool(message.media_group_id)


def build_application(settings: Settings) -> BotApplication:
    api = settings.telegram_api_url
    application = cast(
        BotApplication,
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .request(TelegramRequest(connection_pool_size=256))
        .get_updates_request(TelegramRequest(connection_pool_size=1))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(64)
        .build(),
    )
    application.add_handler(TypeHandler(Update, only_once), group=-1)
    new = filters.UpdateType.MESSAGE  # an edited /imagine must not start a second job
    application.add_handler(CommandHandler(["imagine", "blend"], command, filters=new))
    application.add_handler(CommandHandler(["start", "help"], help_command, filters=new))
    application.add_handler(
        MessageHandler(new & _InAlbum() & (filters.PHOTO | filters.Document.ALL), album_item)
    )
    application.add_handler(MessageHandler(new & _CAPTION_COMMAND, command))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(
        MessageHandler(new & filters.REPLY & filters.TEXT & ~filters.COMMAND, picker_prompt)
    )
    application.add_error_handler(on_error)
    return application


async def run(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM: long polling, or a webhook on the built-in web server."""
    application = build_application(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await application.initialize()
    try:
        await start_services(application, settings)
        await application.start()
        await _start_updates(application, settings)
        # Everything built so far lives as long as the process: move it out of the collector's
        # sight, so a full collection walks only what jobs create (1,000 jobs: ~140 → ~50 ms).
        gc.collect()
        gc.freeze()
        log.info("bot @%s is up", application.bot.username)
        await stop.wait()
        log.info("stopping: no new updates, finishing what is in flight")
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await stop_services(application)
        await application.shutdown()
    log.info("stopped")


async def _start_updates(application: BotApplication, settings: Settings) -> None:
    if settings.telegram_webhook_url:
        services: Services = application.bot_data["services"]
        assert services.webhook_secret is not None
        await application.bot.set_webhook(
            settings.telegram_webhook_url,
            secret_token=services.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        return
    assert application.updater is not None
    # Unconfirmed updates (sent while the bot was down) are handled, not dropped.
    await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


async def start_services(application: BotApplication, settings: Settings) -> None:
    """Build the services once, resume unfinished work, start the web server if needed."""
    store = await Store.open(settings.database_path)
    await store.forget_updates_before(time.time() - SEEN_UPDATES_KEPT)
    await store.forget_albums_before(time.time() - SEEN_UPDATES_KEPT)
    http = AsyncClient(limits=httpx.Limits(max_connections=None, max_keepalive_connections=50))
    client = ImagineClient(
        http,
        base_url=settings.acedata_api_url,
        token=settings.acedata_api_token.get_secret_value(),
        platform_url=settings.acedata_platform_url,
        platform_token=settings.platform_token.get_secret_value(),
        stall_timeout=settings.acedata_stall_seconds,
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
    ttl = settings.media_ttl_hours * 3600
    routes: list[BaseRoute] = []
    background: list[Coroutine[Any, Any, None]] = []
    host: Host
    if settings.public_url:
        local = LocalHost(settings.media_dir, settings.public_url, ttl)
        host = local
        routes.append(media_route(local))
        background.append(local.sweep_forever())
    else:
        host = AceDataHost(client)
    callback_base = f"{settings.public_url}{CALLBACK_PATH}" if settings.acedata_callback else None
    jobs = JobService(
        store,
        client,
        notifier,
        JobConfig(
            concurrency=settings.acedata_max_concurrency,
            submit_interval=settings.acedata_submit_interval,
            busy_backoff=settings.acedata_busy_backoff,
            deadline=settings.job_timeout_minutes * 60,
            poll_interval=settings.acedata_poll_seconds,
            poll_interval_max=max(15.0, settings.acedata_poll_seconds),
            callback_base=callback_base,
            per_user=settings.user_max_active_jobs,
        ),
        pictures=MediaService(store, host, telegram_fetch(application.bot), ttl),
    )
    if callback_base:
        routes.append(callback_route(jobs))
    webhook_secret: str | None = None
    if settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret
        webhook_secret = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        routes.append(
            webhook_route(application, urlsplit(settings.telegram_webhook_url).path, webhook_secret)
        )
    draw_base = None
    if settings.public_url and settings.public_url.startswith("https://"):
        draw_base = f"{settings.public_url}{WEBAPP_PATH}"  # Mini Apps must be served over https
    regions = RegionService(store, jobs, notifier, http, draw_base)
    if settings.public_url:
        routes.extend(webapp_routes(regions, settings.telegram_bot_token.get_secret_value()))
    web = None
    if settings.web_server_needed:
        web = WebServer(settings.http_host, settings.http_port, routes, background)
    bot_username, bot_id = application.bot.username, application.bot.id
    albums = AlbumCollector(
        ALBUM_WAIT_SECONDS,
        lambda messages: album_complete(application.bot_data["services"], messages, bot_username, bot_id),
    )
    loopwatch = LoopWatch()
    loopwatch.start()
    application.bot_data["services"] = Services(
        settings=settings, http=http, store=store, notifier=notifier, jobs=jobs, albums=albums,
        regions=regions, web=web, loopwatch=loopwatch,
        webhook_secret=webhook_secret,
    )  # fmt: skip
    if web is not None:
        await web.start()
    try:
        await application.bot.set_my_commands(list(COMMANDS))
    except TelegramError as exc:
        log.warning("could not register the command menu: %s", exc)
    await jobs.start()


async def stop_services(application: BotApplication) -> None:
    """Stop background work (its state is in SQLite), let pending edits out, close clients."""
    services = application.bot_data.get("services")
    if not isinstance(services, Services):
        return
    await services.albums.aclose()
    await services.regions.aclose()
    await services.jobs.stop()
    await services.notifier.aclose()
    if services.web is not None:
        await services.web.stop()
    await services.http.aclose()
    await services.store.close()
    await services.loopwatch.stop()

"""Wiring: `build_application` (handlers), `start_services` (onto the one shutdown stack), and `run`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
import signal
import sys
from contextlib import AsyncExitStack
from typing import cast
from urllib.parse import urlsplit

from starlette.routing import BaseRoute
from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ContextTypes

from bot.config import Settings
from bot.i18n import text
from bot.runtime.stopping import StopStack
from bot.services import build_services
from bot.store import Store
from bot.telegram.albums import AlbumCollector
from bot.telegram.briefs import Briefs
from bot.telegram.context import BotApplication, BotContext, TelegramServices
from bot.telegram.files import telegram_fetch
from bot.telegram.handlers import register
from bot.telegram.intake import Intake, Poller
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.request import TelegramRequest
from bot.telegram.sender import Limits
from bot.telegram.shared_pacing import SharedPace
from bot.telegram.webhook import webhook_route
from bot.web.health import Readiness
from bot.web.server import BodyBudget, CannotListen

log = logging.getLogger(__name__)

COMMANDS = ("imagine", "blend", "describe", "shorten", "settings", "info", "prefer", "fast", "relax", "turbo", "id",
            "help")  # fmt: skip
ADMIN_COMMANDS = ("stats", "allow", "deny", "limit")


def menu(names: tuple[str, ...], lang: str) -> list[BotCommand]:
    return [BotCommand(name, text(lang, f"cmd.{name}")) for name in names]


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
        .updater(None)  # updates come through `Intake` (recorded first), from the webhook or `Poller`
        .build(),
    )
    register(application)
    return application


async def run(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM: long polling, or a webhook on the built-in web server."""
    application = build_application(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():  # a second SIGTERM or Ctrl-C: at once (state is in SQLite)
            log.warning("stopping at once")
            os._exit(1)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    # The one owner of shutdown: everything started below pushes its closing here, and the stack
    # unwinds in reverse: intake first (updates), then handlers, the Telegram wing's own helpers,
    # jobs and features, the chat's sender, the web server, and last the clients and the database.
    stack = StopStack()
    readiness: Readiness | None = None
    try:
        await application.initialize()
        stack.push_async_callback(application.shutdown)
        intake = Intake(application, lease=settings.job_lease_seconds)
        readiness = await start_services(application, settings, stack, intake)
        await application.start()
        stack.push_async_callback(_stop_application, application)
        stack.push_async_callback(intake.aclose)  # first: no new updates; those in hand finish
        intake.start()
        await _start_updates(application, settings, intake, stack)
        # Everything built so far lives as long as the process: move it out of the collector's
        # sight, so a full collection walks only what jobs create (1,000 jobs: ~140 → ~50 ms).
        gc.collect()
        gc.freeze()
        readiness.started = True
        log.info("bot @%s is up", application.bot.username)
        await stop.wait()
        log.info("stopping: no new updates, finishing what is in flight")
    finally:
        if readiness is not None:
            readiness.stopping = True  # /readyz: 503 from now on
        # Every step is bounded by SHUTDOWN_TIMEOUT_SECONDS (unfinished jobs resume at the next start).
        stack.deadline = loop.time() + settings.shutdown_timeout_seconds
        await stack.aclose()
    log.info("stopped")


async def _stop_application(application: BotApplication) -> None:
    if application.running:
        await application.stop()


async def _start_updates(
    application: BotApplication, settings: Settings, intake: Intake, stack: AsyncExitStack
) -> None:
    if settings.telegram_webhook_url:
        services: TelegramServices = application.bot_data["services"]
        assert services.webhook_secret is not None
        await application.bot.set_webhook(
            settings.telegram_webhook_url,
            secret_token=services.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        return
    # Unconfirmed updates (sent while the bot was down) are handled, not dropped. With several
    # replicas only the one holding the poller lock calls getUpdates.
    await application.bot.delete_webhook(drop_pending_updates=False)
    poller = asyncio.get_running_loop().create_task(Poller(application, intake).run(), name="poller")

    async def stop_polling() -> None:
        poller.cancel()
        with contextlib.suppress(BaseException):
            await poller

    stack.push_async_callback(stop_polling)


async def start_services(
    application: BotApplication, settings: Settings, stack: AsyncExitStack, intake: Intake
) -> Readiness:
    """Build the services once, resume unfinished work, start the web server if needed."""
    routes: list[BaseRoute] = []
    budget = BodyBudget()  # request bodies in flight, shared by every route that reads one
    webhook_secret: str | None = None
    if settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret
        webhook_secret = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        path = urlsplit(settings.telegram_webhook_url).path
        routes.append(webhook_route(application, intake, path, webhook_secret, budget))
    limits = Limits(
        chat_interval=settings.telegram_chat_interval, group_per_minute=settings.telegram_group_per_minute,
        global_per_second=settings.telegram_global_per_second, progress_interval=settings.progress_edit_interval,
    )  # fmt: skip
    core, notifier = await build_services(
        settings,
        stack,
        make_chat=lambda http, store: TelegramNotifier(application.bot, http, limits, shared_pace(store, limits)),
        fetch=telegram_fetch(application.bot),
        routes=routes,
        budget=budget,
    )
    assert isinstance(notifier, TelegramNotifier)
    intake.store = core.store
    shared_albums = (core.store, application.bot) if core.store.shared else None
    wing = TelegramServices(core=core, notifier=notifier, albums=AlbumCollector(settings.album_wait_seconds, shared_albums),
                briefs=Briefs(notifier, settings.group_reply_seconds), webhook_secret=webhook_secret)  # fmt: skip
    stack.push_async_callback(wing.briefs.aclose)
    stack.push_async_callback(wing.albums.aclose)
    application.bot_data["services"] = wing
    await _command_menus(application, settings)
    await core.start()
    return core.readiness


def shared_pace(store: Store, limits: Limits) -> SharedPace | None:
    """With replicas, Telegram's limits are kept by all of them together (`shared_pacing.py`)."""
    if not store.shared:
        return None
    return SharedPace(
        store.replicas, chat_interval=limits.chat_interval, chat_burst=limits.chat_burst,
        group_per_minute=limits.group_per_minute, global_per_second=limits.global_per_second,
    )  # fmt: skip


async def _command_menus(application: BotApplication, settings: Settings) -> None:
    """Everyone's menu, in the default language and in Chinese for `language_code` zh; admins see
    theirs in their private chat with the bot (in the operator's `DEFAULT_LANGUAGE`)."""
    default = settings.default_language
    try:
        await application.bot.set_my_commands(menu(COMMANDS, default))
        await application.bot.set_my_commands(menu(COMMANDS, "zh"), language_code="zh")
        if default != "en":
            await application.bot.set_my_commands(menu(COMMANDS, "en"), language_code="en")
    except TelegramError as exc:
        log.warning("could not register the command menu: %s", exc)
    for admin in sorted(settings.admin_user_ids):
        try:
            await application.bot.set_my_commands(menu(COMMANDS + ADMIN_COMMANDS, default), scope=BotCommandScopeChat(admin))
        except TelegramError as exc:  # e.g. the admin never started the bot
            log.info("no admin menu for %s: %s", admin, exc)


def serve(settings: Settings) -> int:
    """Run the bot; the process's exit status: 2 when Telegram rejects the token or the web port
    cannot be had, 1 when Telegram cannot be reached at start, else 0."""
    try:
        asyncio.run(run(settings))
    except InvalidToken:
        print("configuration error: TELEGRAM_BOT_TOKEN was rejected by Telegram", file=sys.stderr)
        return 2
    except NetworkError as exc:  # raised before the bot ever ran: Telegram is unreachable
        print(f"cannot reach Telegram at {settings.telegram_api_url}: {exc.message}", file=sys.stderr)
        return 1
    except CannotListen as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0

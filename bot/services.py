"""Builds every service from `Settings`: store, HTTP and AceData clients, picture hosting, jobs,
Vary (Region), buttons and the web routes. No Telegram here: the Telegram wing hands in what only
it can make (the chat notifier, the file fetcher, its webhook route) and holds the result."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx
from starlette.routing import BaseRoute

from bot.config import Settings
from bot.core.access import AccessConfig
from bot.features.access import Access
from bot.features.alerts import Alerts
from bot.features.buttons import ButtonService
from bot.features.info import Info
from bot.features.profiles import Profiles
from bot.features.regions import RegionService
from bot.features.settings import SettingsPanels
from bot.features.suggestions import Suggestions
from bot.imagine import ImagineClient
from bot.jobs import Display, JobConfig, JobService, Notifier
from bot.media.hosting import AceDataHost, Fetch, Host, LocalHost, MediaService, SharedHost
from bot.runtime import metrics
from bot.runtime.httpclient import AsyncClient
from bot.runtime.loopwatch import LoopWatch
from bot.runtime.tasks import TaskSet
from bot.store import Store
from bot.web.health import Readiness, health_routes
from bot.web.miniapp import WEBAPP_PATH, webapp_routes
from bot.web.server import CALLBACK_PATH, BodyBudget, WebServer, callback_route, media_route

log = logging.getLogger(__name__)
PRUNE_EVERY = 6 * 3600.0


async def prune_forever(store: Store) -> None:
    """Owned by the web server or the jobs' lifetime: the database does not grow without bound."""
    while True:
        await asyncio.sleep(PRUNE_EVERY)
        try:
            touched = await store.prune(time.time())
        except Exception:
            log.exception("pruning the database failed")
            continue
        log.info("pruned %d database rows", touched)


class Chat(Notifier, Display, Protocol):
    """What the services need of the chat: job messages, picker messages, short notes."""

    def say(self, chat_id: int, text: str, reply_to: int | None = None) -> None: ...

    async def aclose(self) -> None: ...


@dataclass
class Services:
    settings: Settings
    http: httpx.AsyncClient
    store: Store
    access: Access
    jobs: JobService
    regions: RegionService
    buttons: ButtonService
    profiles: Profiles
    suggestions: Suggestions
    settings_panels: SettingsPanels
    info: Info
    web: WebServer | None
    loopwatch: LoopWatch
    readiness: Readiness
    tasks: TaskSet = field(default_factory=TaskSet)

    async def start(self) -> None:
        if self.web is not None:
            await self.web.start()
        await self.jobs.start()
        self.regions.start()
        self.tasks.spawn(prune_forever(self.store), name="prune")


async def build_services(
    settings: Settings,
    stack: AsyncExitStack,
    *,
    make_chat: Callable[[httpx.AsyncClient, Store], Chat],
    fetch: Fetch,
    routes: list[BaseRoute],
    budget: BodyBudget | None = None,
) -> tuple[Services, Chat]:
    """Everything the bot runs on; `routes` (e.g. the webhook) join the built-in web server.

    Each part's closing is pushed onto `stack` as it is built, so the stack, unwound by its owner,
    stops them in reverse: the features and jobs first, then the chat's sender (pending final
    states go out), then the web server, then the clients and the database."""
    url = settings.database_url.get_secret_value() if settings.database_url else None
    store = await Store.open(settings.database_path, url=url)
    stack.push_async_callback(store.close)
    # Each process's own owner token: a restarted replica (same REPLICA_ID) holds nothing of its last run.
    store.owner = f"{settings.replica_name}#{secrets.token_hex(2)}"
    log.info("replica %s on %s (schema %d)", store.owner, "PostgreSQL" if store.shared else "SQLite",
             await store.schema_version())  # fmt: skip
    await store.prune(time.time())
    http = AsyncClient(limits=httpx.Limits(max_connections=None, max_keepalive_connections=50))
    stack.push_async_callback(http.aclose)
    loopwatch = LoopWatch()
    loopwatch.start()
    stack.push_async_callback(loopwatch.stop)
    web: WebServer | None = None  # built once every route is known, stopped after the sender

    async def stop_web() -> None:
        if web is not None:
            await web.stop()

    stack.push_async_callback(stop_web)
    client = ImagineClient(
        http, base_url=settings.acedata_api_url, token=settings.acedata_api_token.get_secret_value(),
        platform_url=settings.acedata_platform_url, platform_token=settings.platform_token.get_secret_value(),
        stall_timeout=settings.acedata_stall_seconds,
    )  # fmt: skip
    chat = make_chat(http, store)
    stack.push_async_callback(chat.aclose)
    ttl = settings.media_ttl_hours * 3600
    routes = list(routes)
    background: list[Coroutine[Any, Any, None]] = []
    host: Host
    if settings.public_url and store.shared:  # any replica serves any picture: they live in the database
        shared = SharedHost(store, settings.public_url, ttl)
        host = shared
        routes.append(media_route(shared))
    elif settings.public_url:
        local = LocalHost(settings.media_dir, settings.public_url, ttl)
        host = local
        routes.append(media_route(local))
        background.append(local.sweep_forever())
    else:
        host = AceDataHost(client)
    callback_base = f"{settings.public_url}{CALLBACK_PATH}" if settings.acedata_callback else None
    access = Access(store, access_config(settings))
    recipients = (settings.admin_chat_id,) if settings.admin_chat_id else tuple(sorted(settings.admin_user_ids))
    alerts = Alerts(chat.say, recipients, lang=settings.default_language)
    pictures = MediaService(store, host, fetch, ttl)
    jobs = JobService(store, client, chat, _job_config(settings, callback_base), pictures=pictures, access=access,
                      alerts=alerts)  # fmt: skip
    stack.push_async_callback(jobs.stop)
    profiles = Profiles(store, settings.default_language)
    if callback_base:
        routes.append(callback_route(jobs, budget))
    draw_base = None
    if settings.public_url and settings.public_url.startswith("https://"):
        draw_base = f"{settings.public_url}{WEBAPP_PATH}"  # Mini Apps must be served over https
    regions = RegionService(store, jobs, chat, http, draw_base, draw_link=settings.mini_app_link,
                            idle_timeout=settings.picker_timeout_minutes * 60)  # fmt: skip
    stack.push_async_callback(regions.aclose)
    if settings.public_url:
        routes.extend(webapp_routes(regions, profiles, settings.telegram_bot_token.get_secret_value(), budget))
    readiness = Readiness(loopwatch, store.ready)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    routes.extend(health_routes(readiness, token))
    if settings.web_server_needed:
        web = WebServer(settings.http_host, settings.http_port, routes, background)
    metrics.enabled(settings.metrics)
    metrics.JOBS_QUEUED.set_function(lambda: jobs.counts()[0])
    metrics.JOBS_RUNNING.set_function(lambda: jobs.counts()[1])
    metrics.LOOP_STALL.set_function(lambda: loopwatch.longest_ms / 1000)
    suggestions = Suggestions(store, client, pictures, chat, jobs, access, alerts, settings.suggestion_job_weight)
    stack.push_async_callback(suggestions.aclose)
    settings_panels = SettingsPanels(store, profiles, chat)
    stack.push_async_callback(settings_panels.aclose)
    services = Services(
        settings=settings, http=http, store=store, access=access, jobs=jobs, regions=regions,
        buttons=ButtonService(store, jobs, regions, access), profiles=profiles, suggestions=suggestions,
        settings_panels=settings_panels, info=Info(store, jobs, access), web=web, loopwatch=loopwatch,
        readiness=readiness,
    )  # fmt: skip
    stack.push_async_callback(services.tasks.close)
    return services, chat


def _job_config(settings: Settings, callback_base: str | None) -> JobConfig:
    return JobConfig(
        concurrency=settings.acedata_max_concurrency,
        submit_interval=settings.acedata_submit_interval,
        busy_backoff=settings.acedata_busy_backoff,
        unavailable_backoff=settings.acedata_retry_seconds,
        position_refresh=settings.queue_refresh_seconds,
        deadline=settings.job_timeout_minutes * 60,
        poll_interval=settings.acedata_poll_seconds,
        poll_interval_max=max(15.0, settings.acedata_poll_seconds),
        callback_base=callback_base,
        allow_private_urls=settings.allow_private_urls,
        lease=settings.job_lease_seconds,
    )


def access_config(settings: Settings) -> AccessConfig:
    return AccessConfig(
        admins=settings.admin_user_ids, users=settings.allowed_user_ids, chats=settings.allowed_chat_ids,
        daily_per_user=settings.daily_limit_per_user, daily_per_chat=settings.daily_limit_per_chat,
        active_per_user=settings.user_max_active_jobs, tz=ZoneInfo(settings.tz),
    )  # fmt: skip

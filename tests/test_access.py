"""The admission rules and the operator's alerts, without Telegram (a temporary store)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.access import AccessConfig
from bot.core.domain import Job, JobState, Refusal, Refused, Requester
from bot.features.access import Access
from bot.features.alerts import Alerts
from bot.imagine.errors import api_error
from bot.jobs.failures import explain
from bot.store import Store
from tests.conftest import WallClock

ANN, BOB, ADMIN = 11, 12, 1
GROUP, OTHER = -100500, -100600


async def _job(
    store: Store, user: int, chat: int, created: float | None = None, state: JobState = JobState.DONE,
    clock: WallClock | None = None,
) -> None:
    """A job of `user` in `chat`, created at `created` (the store's clock, moved there and back)."""
    now = clock.now if clock is not None else None
    if clock is not None and created is not None:
        clock.now = created
    job = await store.create_job(Job(id=0, chat_id=chat, chat_type="group", requester=Requester(user, "U"),
                                     prompt="p", upstream_prompt="p"))  # fmt: skip
    if clock is not None and now is not None:
        clock.now = now
    await store.update_job(job.id, state=state)


async def test_open_bot_admits_everyone_until_denied(store: Store, wall_clock: WallClock) -> None:
    access = Access(store, AccessConfig(admins=frozenset({ADMIN})))
    assert await access.check(ANN, GROUP) is None
    await access.deny(ANN, ADMIN)
    refused = await access.check(ANN, GROUP)
    assert refused is not None and refused.why is Refusal.NOT_ALLOWED
    await access.deny(ADMIN, ADMIN)
    assert await access.check(ADMIN, GROUP) is None, "admins are always allowed"
    assert await Access(store, AccessConfig()).check(ANN, OTHER) is not None, "the deny is stored"


async def test_lists_admit_listed_users_anywhere_and_anyone_in_listed_chats(store: Store, wall_clock: WallClock) -> None:
    access = Access(store, AccessConfig(users=frozenset({ANN}), chats=frozenset({GROUP})))
    assert await access.check(ANN, OTHER) is None
    assert await access.check(BOB, GROUP) is None
    assert await access.check(BOB, OTHER) == Refused(Refusal.NOT_ALLOWED)
    await access.allow(OTHER, ADMIN)
    assert await access.check(BOB, OTHER) is None, "a chat allowed at run time"
    await access.deny(ANN, ADMIN)
    assert await access.check(ANN, GROUP) is not None, "/deny beats the lists"


async def test_daily_limits_count_today_in_the_operators_zone(store: Store, wall_clock: WallClock) -> None:
    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 11, 27, 10, 30, tzinfo=tz).timestamp()
    access = Access(store, AccessConfig(daily_per_user=2, daily_per_chat=3, tz=tz), clock=lambda: now)
    yesterday_late = datetime(2026, 11, 26, 23, 59, tzinfo=tz).timestamp()
    await _job(store, ANN, GROUP, yesterday_late, clock=wall_clock)
    await _job(store, ANN, GROUP, now - 60, clock=wall_clock)
    assert await access.check(ANN, GROUP) is None, "yesterday's job does not count"
    await _job(store, ANN, GROUP, now - 40, state=JobState.FAILED, clock=wall_clock)  # drew nothing: does not count
    assert await access.check(ANN, GROUP) is None
    await _job(store, ANN, GROUP, now - 30, clock=wall_clock)
    refused = await access.check(ANN, GROUP)
    assert refused is not None and refused.why is Refusal.USER_DAILY and refused.limit == 2
    assert refused.resets_at == datetime(2026, 11, 28, 0, 0, tzinfo=tz)
    await access.set_limit(ANN, 5)
    assert await access.check(ANN, GROUP) is None, "a per-user override"
    await _job(store, BOB, GROUP, now - 10, clock=wall_clock)
    chat = await access.check(ANN, GROUP)
    assert chat is not None and chat.why is Refusal.CHAT_DAILY and chat.limit == 3
    await access.set_limit(ANN, None)


async def test_jobs_in_progress_are_capped(store: Store, wall_clock: WallClock) -> None:
    access = Access(store, AccessConfig(active_per_user=1))
    await _job(store, ANN, GROUP, state=JobState.RUNNING)
    refused = await access.check(ANN, GROUP)
    assert refused is not None and refused.why is Refusal.TOO_MANY


async def test_stats_group_the_last_seven_days(store: Store, wall_clock: WallClock) -> None:
    access = Access(store, AccessConfig())
    await _job(store, ANN, GROUP)
    await _job(store, ANN, GROUP, wall_clock.now - 3 * 86400, clock=wall_clock)
    await _job(store, BOB, OTHER, wall_clock.now - 30 * 86400, clock=wall_clock)  # too old
    await store.update_job(1, reason="moderated", state=JobState.FAILED)
    await store.usage.remember_chat(GROUP, "Foxes")
    stats = await access.stats()
    assert stats.today == 1 and sum(n for _, n in stats.days) == 2 and len(stats.days) == 7
    assert stats.failures == [("moderated", 1)]
    assert stats.users == [("U", ANN, 2)] and stats.chats == [("Foxes", GROUP, 2)]


def test_alerts_go_once_per_kind_and_say_when_upstream_is_down() -> None:
    told: list[tuple[int, str]] = []
    now = [0.0]
    alerts = Alerts(lambda chat, text: told.append((chat, text)), (-100900,), cooldown=3600, down_after=300,
                    clock=lambda: now[0])  # fmt: skip
    used_up = explain(api_error(403, "used_up", "no balance"))
    for _ in range(5):
        alerts.failure(used_up)
    assert len(told) == 1 and "credit" in told[0][1] and "no balance" not in told[0][1]
    alerts.failure(explain(api_error(400, "token_mismatched", "x")))
    assert len(told) == 2 and "ACEDATA_API_TOKEN" in told[1][1]
    alerts.upstream_failed()
    now[0] = 200
    alerts.upstream_failed()
    assert len(told) == 2, "not down for long yet"
    now[0] = 400
    alerts.upstream_failed()
    alerts.upstream_failed()
    assert len(told) == 3 and "failing for 7 min" in told[2][1]
    alerts.upstream_ok()
    assert len(told) == 4 and "again" in told[3][1]
    now[0] = 3000
    for _ in range(3):
        alerts.failure(used_up)
    assert len(told) == 4, "within the hour: still one"

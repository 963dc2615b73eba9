"""/info: jobs with links, usage and limits, settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.domain import Allowance, Job, JobState, Requester
from bot.core.profile import Profile
from bot.render.info import info

ANN = Requester(7, "Ann", "ann", "en")
LI = Requester(8, "李", None, "zh")


def test_info_lists_jobs_with_links_usage_and_settings() -> None:
    now = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    jobs = [
        Job(1, -1001234, "supergroup", ANN, "a <fox>", "a fox", state=JobState.RUNNING, progress=40, message_id=55),
        Job(2, 7, "private", ANN, "an owl", "an owl", state=JobState.QUEUED),
    ]
    usage = Allowance(used=3, limit=10, chat_used=None, chat_limit=0, active_limit=5,
                         resets_at=now + timedelta(hours=14))  # fmt: skip
    text = info(ANN, jobs, usage, Profile(7, suffix="--chaos 5"), chat_id=-1001234)
    assert '• <a href="https://t.me/c/1234/55">a &lt;fox&gt;</a> – 40%' in text
    assert "an owl" not in text and "… and 1 more in other chats." in text, "a private prompt stays private"
    assert "<b>Today</b>: 3 jobs · daily limit: 10" in text and "reset at 00:00 (Beijing time)" in text
    assert "suffix set (shown in a private chat)" in text and "--chaos 5" not in text, "not read out in a group"
    assert "suffix --chaos 5" in info(ANN, [], usage, Profile(7, suffix="--chaos 5"), chat_id=7)
    empty = info(LI, [], Allowance(0, 0, 2, 0, 0, now), Profile(8), chat_id=-5)
    assert "没有进行中或等待中的任务" in empty and "每日额度：不限" in empty and "重置" not in empty

"""Short replies: refusals (with when a limit resets, in the reader's zone) and /help."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.domain import Refusal, Refused
from bot.render import replies


def test_refusals_and_help_in_both_languages() -> None:
    now = datetime(2026, 11, 27, 21, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    daily = Refused(Refusal.USER_DAILY, 5, now.replace(hour=0, minute=0) + timedelta(days=1))
    assert replies.refusal(daily, now, "en") == (
        "Your daily limit of 5 is used up. It resets at 00:00 (Beijing time), in 2 h 30 min."
    )
    assert replies.refusal(daily, now, "zh") == "你今天的 5 次额度已用完。将于 00:00（北京时间）重置，还有 2 小时 30 分钟。"
    assert "(your id: 42)" in replies.refusal(Refused(Refusal.NOT_ALLOWED), now, "en", 42)
    assert replies.help_text("zh", "fox_bot").startswith("🎨 <b>Telegram 里的 Midjourney</b> — @fox_bot")
    assert "this bot draws" in replies.help_text("en")
    assert replies.unknown_command("<x>", "en") == "I don't know /&lt;x&gt;. Send /help to see what I can do."

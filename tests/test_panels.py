"""Messages that are not a job's, in both languages: the /settings panel, /info, suggested
prompts, the region picker; and the short replies (refusals, /help)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.domain import Job, JobState, Picker, Refusal, Refused, Requester
from bot.features.access import Usage
from bot.features.profiles import Profile
from bot.render import panels, replies
from bot.render.job import parse_panel

ANN = Requester(7, "Ann", "ann", "en")
LI = Requester(8, "李", None, "zh")


def _labels(spec: panels.MessageSpec) -> list[list[str]]:
    return [[b.label for b in row] for row in spec.keyboard]


def test_settings_panel_marks_the_choices_and_carries_its_key() -> None:
    spec = panels.settings_panel("AbCdEfGh123", ANN, Profile(7, speed="relax", ar="16:9", notify=True))
    rows = _labels(spec)
    assert rows[0] == ["Fast", "✅ Relax", "Turbo"] and "✅ 16:9" in rows[2] and "✅ Auto" in rows[1]
    assert ["🔔 Notify when done: on"] in rows and ["✅ English", "中文"] in rows
    assert "Speed: <b>Relax</b>" in spec.body and "Settings</b> of @ann" in spec.body
    for row in spec.keyboard:
        for button in row:
            assert button.callback_data and len(button.callback_data.encode()) <= 64
            assert parse_panel(button.callback_data) is not None
    chinese = panels.settings_panel("AbCdEfGh123", LI, Profile(8))
    assert _labels(chinese)[0] == ["✅ 快速", "慢速", "极速"] and "语言：<b>中文</b>" in chinese.body
    assert 'href="tg://user?id=8">李</a> 的<b>设置</b>' in chinese.body


def test_suggestions_are_escaped_numbered_and_tappable() -> None:
    spec = panels.suggestions("describe", "AbCdEfGh123", ANN, ["a <fox> & co --ar 1:1", "an owl"])
    assert "<b>1.</b> <code>a &lt;fox&gt; &amp; co --ar 1:1</code>" in spec.body
    assert _labels(spec) == [["🎨 1", "🎨 2"]] and spec.keyboard[0][1].callback_data == "p:AbCdEfGh123:go:2"
    assert panels.suggestions("shorten", "AbCdEfGh123", LI, []).body.startswith("✂️ Midjourney 没有给出")


def test_info_lists_jobs_with_links_usage_and_settings() -> None:
    now = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    jobs = [
        Job(1, -1001234, "supergroup", ANN, "a <fox>", "a fox", state=JobState.RUNNING, progress=40, message_id=55),
        Job(2, 7, "private", ANN, "an owl", "an owl", state=JobState.QUEUED),
    ]
    usage = Usage(used=3, limit=10, chat_used=None, chat_limit=0, active_limit=5,
                         resets_at=now + timedelta(hours=14))  # fmt: skip
    text = panels.info(ANN, jobs, usage, Profile(7, suffix="--chaos 5"), chat_id=-1001234)
    assert '• <a href="https://t.me/c/1234/55">a &lt;fox&gt;</a> – 40%' in text
    assert "an owl" not in text and "… and 1 more in other chats." in text, "a private prompt stays private"
    assert "<b>Today</b>: 3 jobs · daily limit: 10" in text and "reset at 00:00 (Beijing time)" in text
    assert "suffix set (shown in a private chat)" in text and "--chaos 5" not in text, "not read out in a group"
    assert "suffix --chaos 5" in panels.info(ANN, [], usage, Profile(7, suffix="--chaos 5"), chat_id=7)
    empty = panels.info(LI, [], Usage(0, 0, 2, 0, 0, now), Profile(8), chat_id=-5)
    assert "没有进行中或等待中的任务" in empty and "每日额度：不限" in empty and "重置" not in empty


def test_picker_in_its_owners_language() -> None:
    picker = Picker("AbCdEfGh123", -5, "img", LI, message_id=9, cells=frozenset({2, 3}), prompt="<猫>")
    spec = panels.picker_message(picker, b"overlay")
    assert "已选：2、3" in spec.body and "&lt;猫&gt;" in spec.body
    assert _labels(spec)[4] == ["全选", "清除"] and _labels(spec)[5] == ["🚀 提交", "✖️ 取消"]


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

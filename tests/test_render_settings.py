"""The /settings panel: choices marked, its key on every button, both languages."""

from __future__ import annotations

from bot.core.callbacks import SettingTap, parse_panel
from bot.core.domain import Requester
from bot.core.profile import Profile
from bot.render.settings import settings_panel
from bot.render.spec import MessageSpec

ANN = Requester(7, "Ann", "ann", "en")
LI = Requester(8, "李", None, "zh")


def _labels(spec: MessageSpec) -> list[list[str]]:
    return [[b.label for b in row] for row in spec.keyboard]


def test_settings_panel_marks_the_choices_and_carries_its_key() -> None:
    spec = settings_panel("AbCdEfGh123", ANN, Profile(7, speed="relax", ar="16:9", notify=True))
    rows = _labels(spec)
    assert rows[0] == ["Fast", "✅ Relax", "Turbo"] and "✅ 16:9" in rows[2] and "✅ Auto" in rows[1]
    assert ["🔔 Notify when done: on"] in rows and ["✅ English", "中文"] in rows
    assert "Speed: <b>Relax</b>" in spec.body and "Settings</b> of @ann" in spec.body
    for row in spec.keyboard:
        for button in row:
            assert button.callback_data and len(button.callback_data.encode()) <= 64
            tap = parse_panel(button.callback_data)
            assert isinstance(tap, SettingTap) and tap.key == "AbCdEfGh123"
    chinese = settings_panel("AbCdEfGh123", LI, Profile(8))
    assert _labels(chinese)[0] == ["✅ 快速", "慢速", "极速"] and "语言：<b>中文</b>" in chinese.body
    assert 'href="tg://user?id=8">李</a> 的<b>设置</b>' in chinese.body

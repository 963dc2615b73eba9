"""The Vary (Region) picker's message in its owner's language."""

from __future__ import annotations

from bot.core.domain import Picker, Requester
from bot.render.picker import picker_message
from bot.render.spec import MessageSpec

LI = Requester(8, "李", None, "zh")


def _labels(spec: MessageSpec) -> list[list[str]]:
    return [[b.label for b in row] for row in spec.keyboard]


def test_picker_in_its_owners_language() -> None:
    picker = Picker("AbCdEfGh123", -5, "img", LI, message_id=9, cells=frozenset({2, 3}), prompt="<猫>")
    spec = picker_message(picker, b"overlay")
    assert "已选：2、3" in spec.body and "&lt;猫&gt;" in spec.body
    assert _labels(spec)[4] == ["全选", "清除"] and _labels(spec)[5] == ["🚀 提交", "✖️ 取消"]

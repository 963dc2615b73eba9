"""What /describe and /shorten show: escaped, numbered, tappable."""

from __future__ import annotations

from bot.core.domain import Requester
from bot.render.spec import MessageSpec
from bot.render.suggestions import suggestions

ANN = Requester(7, "Ann", "ann", "en")
LI = Requester(8, "李", None, "zh")


def _labels(spec: MessageSpec) -> list[list[str]]:
    return [[b.label for b in row] for row in spec.keyboard]


def test_suggestions_are_escaped_numbered_and_tappable() -> None:
    spec = suggestions("describe", "AbCdEfGh123", ANN, ["a <fox> & co --ar 1:1", "an owl"])
    assert "<b>1.</b> <code>a &lt;fox&gt; &amp; co --ar 1:1</code>" in spec.body
    assert _labels(spec) == [["🎨 1", "🎨 2"]] and spec.keyboard[0][1].callback_data == "p:AbCdEfGh123:go:2"
    assert suggestions("shorten", "AbCdEfGh123", LI, []).body.startswith("✂️ Midjourney 没有给出")

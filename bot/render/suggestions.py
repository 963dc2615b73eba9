"""What /describe and /shorten show: a working line, then the suggested prompts, numbered, each with
a button that imagines it (or why there are none)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.core.callbacks import suggestion_data
from bot.core.domain import Requester
from bot.i18n import Html
from bot.i18n import html as say
from bot.render.spec import KeyButton, MessageSpec, clip, mention

SUGGESTION_CHARS = 700  # each suggested prompt, as shown


def _who(user: Requester) -> Html:
    return Html(mention(user))


def suggestions(kind: str, key: str, owner: Requester, prompts: Sequence[str]) -> MessageSpec:
    """`kind` is "describe" or "shorten": the prompts, numbered, with a button each that starts it."""
    lang = owner.lang
    if not prompts:
        return MessageSpec(body=say(lang, f"{kind}.empty"), final=True)
    lines = "\n\n".join(
        f"<b>{n}.</b> <code>{html.escape(clip(p, SUGGESTION_CHARS))}</code>" for n, p in enumerate(prompts, 1)
    )
    body = say(lang, f"{kind}.result", who=_who(owner), lines=Html(lines))
    buttons = tuple(KeyButton(f"🎨 {n}", suggestion_data(key, n)) for n in range(1, len(prompts) + 1))
    return MessageSpec(body=body, keyboard=(buttons,), final=True)


def working(kind: str, owner: Requester) -> MessageSpec:
    return MessageSpec(body=say(owner.lang, f"{kind}.working", who=_who(owner)))


def tool_failed(kind: str, owner: Requester, reason: str) -> MessageSpec:
    return MessageSpec(body=say(owner.lang, f"{kind}.failed", reason=reason), final=True)

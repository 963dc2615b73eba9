"""Pure rendering: what a job's message says and which buttons it carries, in the language of the
person it is for (`Requester.lang`). Captions follow Midjourney's habits: `**prompt** – @user (42%)
(fast)`, `**prompt** – Image #2 @user`, `**prompt** – Variations (Strong) by @user (fast)`.

Everything here is a function of domain objects, so it is tested without a bot. The Telegram
notifier turns a `MessageSpec` (`bot.render.spec`) into API calls; callback data is made in
`bot.core.callbacks`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bot.core.callbacks import cancel_data, result_data
from bot.core.domain import Button, Image, Job, JobState, JobView
from bot.core.prompt import MODES, english_of
from bot.i18n import CATALOGUES, Html
from bot.i18n import html as say
from bot.i18n import text as plain_text
from bot.render.spec import CAPTION_LIMIT, TEXT_LIMIT, Keyboard, KeyButton, MessageSpec, clip, mention

_GRID_ROWS: tuple[tuple[str, ...], ...] = (
    ("upscale1", "upscale2", "upscale3", "upscale4", "reroll"),
    ("variation1", "variation2", "variation3", "variation4"),
)
_SINGLE_ROWS: tuple[tuple[str, ...], ...] = (
    ("upscale_2x", "upscale_4x", "upscale_subtle", "upscale_creative"),
    ("variation_subtle", "variation_strong", "variation_region"),
    ("zoom_out_2x", "zoom_out_1_5x", "custom_zoom"),
    ("pan_left", "pan_right", "pan_up", "pan_down"),
)
_SYMBOLS = {  # the same in every language
    **{f"upscale{i}": f"U{i}" for i in range(1, 5)},
    **{f"variation{i}": f"V{i}" for i in range(1, 5)},
    "reroll": "🔄",
    "pan_left": "⬅️",
    "pan_right": "➡️",
    "pan_up": "⬆️",
    "pan_down": "⬇️",
}
_LABELLED = frozenset(k.removeprefix("label.") for k in CATALOGUES["en"] if k.startswith("label."))


# a job's message


def action_label(action: str, lang: str = "en") -> str:
    """Button label; unknown actions get a readable one from their name, never dropped."""
    if action in _SYMBOLS:
        return _SYMBOLS[action]
    if action in _LABELLED:
        return plain_text(lang, f"label.{action}")
    words = re.sub(r"(\d)_(\d)", r"\1.\2", action).replace("_", " ").split()
    return " ".join(w if w[:1].isdigit() else w.capitalize() for w in words) or action


def _tag(job: Job, who: Html) -> str:
    """Who (and, for an action, what): `@ann`, `Image #2 @ann`, `Variations (Strong) by @ann`."""
    lang, action = job.requester.lang, job.action
    if action in ("generate", "reroll", "retry"):
        return who
    if match := re.fullmatch(r"upscale([1-4])", action):
        return say(lang, "tag.image", n=match.group(1), who=who)
    if re.fullmatch(r"variation[1-4]", action):
        what = plain_text(lang, "what.variations")
    elif f"what.{action}" in CATALOGUES["en"]:
        what = plain_text(lang, f"what.{action}")
    else:
        what = action_label(action, lang)
    return say(lang, "tag.by", what=what, who=who)


def speed_of(job: Job) -> str:
    return plain_text(job.requester.lang, f"speed.{job.mode if job.mode in MODES else 'fast'}")


def headline(job: Job, status: str | None, limit: int = CAPTION_LIMIT, *, speed: bool = False) -> str:
    """`<b>prompt</b> – @user (status) (speed)`, with the prompt clipped so the whole fits `limit`."""
    lang = job.requester.lang
    tail = f" – {_tag(job, Html(mention(job.requester)))}"
    if status:
        tail += say(lang, "job.aside", text=status)
    if speed:
        tail += say(lang, "job.aside", text=speed_of(job))
    room = limit - len(tail) - len("<b></b>")
    prompt = job.title or plain_text(job.requester.lang, "job.no_prompt")
    clipped = clip(prompt, room)
    while len(html.escape(clipped)) > room and clipped:
        clipped = clip(clipped, len(clipped) - 8)
    return f"<b>{html.escape(clipped)}</b>{tail}"


def status_of(view: JobView) -> str:
    job = view.job
    lang = job.requester.lang
    if job.state is JobState.QUEUED:
        if view.position:
            return plain_text(lang, "status.queued", position=view.position)
        return plain_text(lang, "status.waiting")
    if job.state is JobState.SUBMITTING:  # sent; upstream stays silent until drawing starts
        return plain_text(lang, "status.in_queue")
    if job.state is JobState.RUNNING and job.progress <= 0:
        return plain_text(lang, "status.starting")
    if job.state is JobState.RUNNING:
        return f"{job.progress}%"
    if job.state is JobState.DONE:
        return ""
    return plain_text(lang, f"status.{job.state}")  # failed, interrupted, cancelled


def keyboard(image: Image, buttons: Sequence[Button], lang: str = "en") -> Keyboard:
    """Grid: U1–U4 🔄 / V1–V4. Single: tidy rows. Unknown actions go last. Then the full-size link."""
    by_action = {b.action: b for b in buttons}
    layout = _GRID_ROWS if image.is_grid else _SINGLE_ROWS
    rows: list[tuple[KeyButton, ...]] = []
    placed: set[str] = set()
    for row in layout:
        present = [by_action[a] for a in row if a in by_action]
        placed.update(b.action for b in present)
        if present:
            rows.append(tuple(_button(b, lang) for b in present))
    leftovers = [b for b in buttons if b.action not in placed]
    for start in range(0, len(leftovers), 3):
        rows.append(tuple(_button(b, lang) for b in leftovers[start : start + 3]))
    if image.raw_image_url and image.raw_image_url.startswith(("http://", "https://")):
        rows.append((KeyButton(plain_text(lang, "label.full_size"), url=image.raw_image_url),))
    return tuple(rows)


def _button(button: Button, lang: str) -> KeyButton:
    label = action_label(button.action, lang)
    return KeyButton(f"✅ {label}" if button.pressed else label, callback_data=result_data(button.key))


def message_for(view: JobView) -> MessageSpec:
    """The whole message for a job at this moment."""
    job = view.job
    lang = job.requester.lang
    if job.state is JobState.DONE and view.image is not None:
        english = english_of(job.prompt, job.upstream_prompt)
        sent = say(lang, "job.english", text=clip(english, 300)) if english else ""
        return MessageSpec(
            body=headline(job, None, CAPTION_LIMIT - len(sent), speed=True) + sent,
            photo=view.image.image_url,
            keyboard=keyboard(view.image, view.buttons, lang),
            final=True,
        )
    if job.state is JobState.CANCELLED:
        return MessageSpec(body=headline(job, status_of(view), TEXT_LIMIT), final=True)
    if job.state in {JobState.FAILED, JobState.INTERRUPTED}:
        reason = html.escape(clip(job.error or plain_text(lang, "job.went_wrong"), 600))
        return MessageSpec(
            body=f"{headline(job, status_of(view), 400)}\n❌ {reason}", final=True,
            keyboard=tuple((_button(b, lang),) for b in view.buttons),
        )  # fmt: skip
    status = status_of(view)
    running = job.state in {JobState.SUBMITTING, JobState.RUNNING}
    if job.state is JobState.RUNNING and job.preview_url:
        return MessageSpec(body=headline(job, status, speed=True), photo=job.preview_url)
    rows: Keyboard = ()
    if job.state is JobState.QUEUED:  # not submitted yet: its owner may still cancel it
        rows = ((KeyButton(plain_text(lang, "label.cancel"), cancel_data(job.id)),),)
    return MessageSpec(body=headline(job, status, TEXT_LIMIT, speed=running), keyboard=rows)

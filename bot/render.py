"""Pure rendering: what a job's message says and which buttons it carries.

Everything here is a function of domain objects, so it is tested without a bot. The Telegram
notifier turns a `MessageSpec` into API calls. `callback_data` is formatted and parsed here only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import Button, Image, Job, JobState, JobView, Picker, Refusal, Refused, Requester

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
_CALLBACK = re.compile(r"^b:([A-Za-z0-9_-]{6,32})$")
_PICKER_CALLBACK = re.compile(r"^r:([A-Za-z0-9_-]{6,32}):(t(?:[1-9]|1[0-6])|all|clr|ok|x)$")
PICKER_GRID = 4

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
_LABELS = {
    **{f"upscale{i}": f"U{i}" for i in range(1, 5)},
    **{f"variation{i}": f"V{i}" for i in range(1, 5)},
    "reroll": "🔄",
    "retry": "🔁 Retry",
    "upscale_2x": "Upscale 2x",
    "upscale_4x": "Upscale 4x",
    "upscale_subtle": "Upscale (Subtle)",
    "upscale_creative": "Upscale (Creative)",
    "variation_subtle": "Vary (Subtle)",
    "variation_strong": "Vary (Strong)",
    "variation_region": "Vary (Region)",
    "zoom_out_2x": "Zoom Out 2x",
    "zoom_out_1_5x": "Zoom Out 1.5x",
    "pan_left": "⬅️",
    "pan_right": "➡️",
    "pan_up": "⬆️",
    "pan_down": "⬇️",
}
_ACTION_VERBS = {
    "generate": "Imagine",
    "reroll": "Reroll",
    "variation_subtle": "Vary (Subtle)",
    "variation_strong": "Vary (Strong)",
    "variation_region": "Vary (Region)",
}


@dataclass(frozen=True)
class KeyButton:
    """One inline button: exactly one of `callback_data`, `url` and `web_app` is set."""

    label: str
    callback_data: str | None = None
    url: str | None = None
    web_app: str | None = None  # a Mini App URL (https, private chats only)


Keyboard = tuple[tuple[KeyButton, ...], ...]


@dataclass(frozen=True)
class MessageSpec:
    """What a message should look like. `photo` None means a text message (or keep the photo)."""

    body: str  # HTML text, or the caption when `photo` is set
    photo: str | bytes | None = None  # a URL, or bytes to upload
    keyboard: Keyboard = ()
    final: bool = False


def callback_data(key: str) -> str:
    return f"b:{key}"


def parse_callback(data: str | None) -> str | None:
    """The button key in callback data, or None for anything we did not produce."""
    match = _CALLBACK.match(data or "")
    return match.group(1) if match else None


def picker_data(key: str, op: str) -> str:
    return f"r:{key}:{op}"


def parse_picker(data: str | None) -> tuple[str, str] | None:
    """(picker key, operation) from a picker button's data, or None."""
    match = _PICKER_CALLBACK.match(data or "")
    return (match.group(1), match.group(2)) if match else None


def picker_message(picker: Picker, overlay: bytes | None, draw_url: str | None = None) -> MessageSpec:
    """The region picker: the overlay, what is chosen, and a toggle per grid cell; with
    `draw_url`, a Mini App button to paint the area freehand instead."""
    chosen = ", ".join(str(c) for c in sorted(picker.cells)) or "nothing yet"
    prompt = html.escape(_clip(picker.prompt, 300)) if picker.prompt else "the original prompt"
    if picker.state == "submitted":
        return MessageSpec(body=f"🖌 <b>Vary (Region)</b>: submitted areas {chosen}.", final=True)
    if picker.state == "cancelled":
        return MessageSpec(body="🖌 <b>Vary (Region)</b>: cancelled.", final=True)
    body = (
        f"🖌 <b>Vary (Region)</b> for {mention(picker.owner)}: tap the squares to repaint, then Submit.\n"
        f"Selected: {chosen}\nPrompt: <i>{prompt}</i> (reply to this message to change it)"
    )
    rows: list[tuple[KeyButton, ...]] = []
    for row in range(PICKER_GRID):
        cells = range(row * PICKER_GRID + 1, (row + 1) * PICKER_GRID + 1)
        rows.append(
            tuple(
                KeyButton(f"✅ {c}" if c in picker.cells else str(c), picker_data(picker.key, f"t{c}"))
                for c in cells
            )
        )
    rows.append(
        (
            KeyButton("Select all", picker_data(picker.key, "all")),
            KeyButton("Clear", picker_data(picker.key, "clr")),
        )
    )
    rows.append(
        (
            KeyButton("🚀 Submit", picker_data(picker.key, "ok")),
            KeyButton("✖️ Cancel", picker_data(picker.key, "x")),
        )
    )
    if draw_url:
        rows.append((KeyButton("🖌 Draw mask", web_app=draw_url),))
    return MessageSpec(body=body, photo=overlay, keyboard=tuple(rows))


def action_label(action: str) -> str:
    """Button label; unknown actions get a readable one from their name, never dropped."""
    if action in _LABELS:
        return _LABELS[action]
    words = re.sub(r"(\d)_(\d)", r"\1.\2", action).replace("_", " ").split()
    return " ".join(w if w[:1].isdigit() else w.capitalize() for w in words) or action


def action_title(action: str) -> str:
    """How a job started by `action` is described in its progress message."""
    if action in _ACTION_VERBS:
        return _ACTION_VERBS[action]
    if match := re.fullmatch(r"upscale([1-4])", action):
        return f"Upscale #{match.group(1)}"
    if match := re.fullmatch(r"variation([1-4])", action):
        return f"Variations #{match.group(1)}"
    return action_label(action)


def mention(user: Requester) -> str:
    if user.username:
        return f"@{html.escape(user.username)}"
    return f'<a href="tg://user?id={user.user_id}">{html.escape(user.first_name or "someone")}</a>'


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def headline(job: Job, status: str | None, limit: int = CAPTION_LIMIT) -> str:
    """`<b>prompt</b> – @user (status)`, with the prompt clipped so the whole fits `limit`."""
    who = mention(job.requester)
    action = "" if job.action == "generate" else f"{html.escape(action_title(job.action))}: "
    tail = f" – {who}" + (f" ({html.escape(status)})" if status else "")
    room = limit - len(tail) - len(action) - len("<b></b>")
    prompt = job.title or "(no prompt)"
    clipped = _clip(prompt, room)
    while len(html.escape(clipped)) > room and clipped:
        clipped = _clip(clipped, len(clipped) - 8)
    return f"{action}<b>{html.escape(clipped)}</b>{tail}"


def status_of(view: JobView) -> str:
    job = view.job
    mode = f" ({job.mode or 'fast'})"  # upstream's default speed
    if job.state is JobState.QUEUED:
        if view.position:
            return f"Queued (position {view.position})"
        return "Waiting to start"
    if job.state is JobState.SUBMITTING:  # sent; upstream stays silent until drawing starts
        return f"In Midjourney's queue{mode}"
    if job.state is JobState.RUNNING and job.progress <= 0:
        return f"Starting{mode}"
    if job.state is JobState.RUNNING:
        return f"{job.progress}%{mode}"
    if job.state is JobState.DONE:
        return ""
    if job.state is JobState.INTERRUPTED:
        return "Interrupted"
    return "Failed"


def keyboard(image: Image, buttons: Sequence[Button]) -> Keyboard:
    """Grid: U1–U4 🔄 / V1–V4. Single: tidy rows. Unknown actions go last. Then the full-size link."""
    by_action = {b.action: b for b in buttons}
    layout = _GRID_ROWS if image.is_grid else _SINGLE_ROWS
    rows: list[tuple[KeyButton, ...]] = []
    placed: set[str] = set()
    for row in layout:
        present = [by_action[a] for a in row if a in by_action]
        placed.update(b.action for b in present)
        if present:
            rows.append(tuple(_button(b) for b in present))
    leftovers = [b for b in buttons if b.action not in placed]
    for start in range(0, len(leftovers), 3):
        rows.append(tuple(_button(b) for b in leftovers[start : start + 3]))
    if image.raw_image_url and image.raw_image_url.startswith(("http://", "https://")):
        rows.append((KeyButton("🔗 Full size", url=image.raw_image_url),))
    return tuple(rows)


def _button(button: Button) -> KeyButton:
    label = action_label(button.action)
    return KeyButton(f"✅ {label}" if button.pressed else label, callback_data=callback_data(button.key))


def message_for(view: JobView) -> MessageSpec:
    """The whole message for a job at this moment."""
    job = view.job
    if job.state is JobState.DONE and view.image is not None:
        return MessageSpec(
            body=headline(job, None),
            photo=view.image.image_url,
            keyboard=keyboard(view.image, view.buttons),
            final=True,
        )
    if job.state in {JobState.FAILED, JobState.INTERRUPTED}:
        reason = html.escape(_clip(job.error or "Something went wrong.", 600))
        return MessageSpec(
            body=f"{headline(job, status_of(view), 400)}\n❌ {reason}", final=True, keyboard=_retry_row(view)
        )
    status = status_of(view)
    if job.state is JobState.RUNNING and job.preview_url:
        return MessageSpec(body=headline(job, status), photo=job.preview_url)
    return MessageSpec(body=headline(job, status, TEXT_LIMIT))


def _retry_row(view: JobView) -> Keyboard:
    return tuple((_button(b),) for b in view.buttons)


def usage() -> str:
    return (
        "Describe the picture after the command, for example:\n"
        "<code>/imagine a red fox in snow --ar 3:2</code>"
    )


def refusal(refused: Refused, now: datetime, user_id: int | None = None) -> str:
    """Why a job was not started, in one line, with when a daily limit resets (and, for a
    stranger, the id the admin needs to let them in)."""
    why = refused.why
    if why is Refusal.TOO_MANY:
        return "You already have several pictures in progress. Please wait for one to finish."
    if why is Refusal.BUSY:
        return "That is already in progress."
    if why in (Refusal.USER_DAILY, Refusal.CHAT_DAILY):
        whose = "Your" if why is Refusal.USER_DAILY else "This chat's"
        when = ""
        if refused.resets_at is not None:
            left = max(0, int((refused.resets_at - now).total_seconds()) // 60)
            zone = getattr(refused.resets_at.tzinfo, "key", None) or refused.resets_at.tzname()
            when = f" It resets at {refused.resets_at:%H:%M} ({zone}), in {left // 60} h {left % 60} min."
        jobs = "job" if refused.limit == 1 else "jobs"
        return f"{whose} daily limit of {refused.limit} {jobs} is used up.{when}"
    who = f" (your id: {user_id})" if user_id is not None else ""
    return f"Sorry, this bot is not open to you here. Ask the bot's admin for access{who}."


def blend_count(found: int) -> str:
    if found > 5:
        return f"/blend mixes 2 to 5 images, but I found {found}. Please use at most 5."
    return (
        f"/blend mixes 2 to 5 images, but I found {found}. Send an album of 2–5 photos with the caption"
        " /blend, reply /blend to an album or a photo with another photo attached, or give links:"
        " /blend URL1 URL2 [text]."
    )


def help_text(bot_name: str | None = None) -> str:
    name = f"@{html.escape(bot_name)}" if bot_name else "this bot"
    return "\n".join(
        [
            f"🎨 <b>Midjourney in Telegram</b> — {name} draws what you describe.",
            "",
            "<code>/imagine a red fox in snow --ar 3:2</code> makes four pictures in one grid.",
            "Tap <b>U1–U4</b> to upscale one, <b>V1–V4</b> for variations, 🔄 to try again.",
            "Upscaled pictures offer upscale, vary, zoom out and pan buttons.",
            "Parameters such as <code>--ar</code>, <code>--v</code>, <code>--chaos</code>, <code>--no</code>,"
            " <code>--fast</code>/<code>--relax</code>/<code>--turbo</code> work as in Midjourney.",
            "Send a photo with the caption <code>/imagine text</code> (or reply to one) for an image prompt;"
            " links at the start of the prompt work too.",
            "Send an album of 2–5 photos with the caption <code>/blend</code> (or reply <code>/blend</code>"
            " to one) to blend them.",
            "Anyone in the chat may tap the buttons.",
        ]
    )


def plain(text: str) -> str:
    """Escape a plain message for HTML parse mode."""
    return html.escape(text, quote=False)

"""Messages that are not a job's: the Vary (Region) picker, the /settings panel, /info, and the
prompts /describe and /shorten suggest. Pure functions, in the reader's language, HTML."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce

from bot.core.domain import Job, JobState, JobView, Picker, Requester
from bot.core.prompt import english_of
from bot.features.access import Usage
from bot.features.profiles import ASPECTS, STYLIZES, VERSIONS, Profile
from bot.i18n import Html
from bot.i18n import html as say
from bot.i18n import text as plain_text
from bot.render.job import KeyButton, MessageSpec, mention, panel_data, picker_data, status_of
from bot.render.replies import zone_name

PICKER_GRID = 4
SUGGESTION_CHARS = 700  # each suggested prompt, as shown


def _who(user: Requester) -> Html:
    return Html(mention(user))


def picker_message(picker: Picker, overlay: bytes | None, draw_url: str | None = None) -> MessageSpec:
    """The region picker: the overlay, what is chosen, and a toggle per grid cell; with
    `draw_url`, a Mini App button to paint the area freehand instead."""
    lang = picker.owner.lang
    chosen = cell_list(picker.cells, lang) or plain_text(lang, "picker.nothing")
    if picker.state == "submitted":
        return MessageSpec(body=say(lang, "picker.submitted", chosen=chosen), final=True)
    if picker.state == "painted":
        return MessageSpec(body=say(lang, "picker.painted"), final=True)
    if picker.state in ("cancelled", "expired"):  # one line, in place of the picture
        return MessageSpec(body=say(lang, f"picker.{picker.state}", who=_who(picker.owner)), final=True)
    prompt = picker.prompt[:300] if picker.prompt else plain_text(lang, "picker.original")
    body = say(lang, "picker.body", who=_who(picker.owner), chosen=chosen, prompt=prompt)
    if draw_url:
        body += "\n" + say(lang, "picker.draw_hint")
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
            KeyButton(plain_text(lang, "picker.all"), picker_data(picker.key, "all")),
            KeyButton(plain_text(lang, "picker.clear"), picker_data(picker.key, "clr")),
        )
    )
    rows.append(
        (
            KeyButton(plain_text(lang, "picker.submit"), picker_data(picker.key, "ok")),
            KeyButton(plain_text(lang, "picker.cancel"), picker_data(picker.key, "x")),
        )
    )
    if draw_url:  # the page itself (a web_app button, private chats) or its t.me direct link (groups)
        link = draw_url.startswith("https://t.me/")
        rows.append((KeyButton(plain_text(lang, "picker.draw"), url=draw_url if link else None,
                               web_app=None if link else draw_url),))  # fmt: skip
    return MessageSpec(body=body, photo=overlay, keyboard=tuple(rows), interactive=True)


def cell_list(cells: frozenset[int], lang: str) -> str:
    """Grid cells as a list in the reader's punctuation: 6, 7, 10 or 6、7、10."""
    shown = [str(c) for c in sorted(cells)]
    return reduce(lambda items, item: plain_text(lang, "list.more", items=items, item=item), shown[1:], shown[0]) if shown else ""


def selection(cells: frozenset[int], lang: str) -> str:
    """A picker tap's answer (a toast): what is selected now."""
    if not cells:
        return plain_text(lang, "picker.selected_none")
    return plain_text(lang, "picker.selected", cells=cell_list(cells, lang))


# /settings


@dataclass(frozen=True)
class Shown:
    """A profile's settings as words in one language."""

    speed: str
    version: str
    ar: str
    stylize: str
    raw: str
    translate: str
    notify: str
    suffix: str
    language: str


def shown(profile: Profile, lang: str, *, private: bool = True) -> Shown:
    """In a group the suffix is only said to be set: it is the person's own business."""
    def on(value: bool) -> str:
        return plain_text(lang, "settings.on" if value else "settings.off")

    auto = plain_text(lang, "settings.auto")
    version = {"niji6": "Niji 6"}.get(profile.version or "", f"V{profile.version}") if profile.version else auto
    return Shown(
        speed=plain_text(lang, f"settings.speed_name.{profile.speed or 'fast'}"), version=version,
        ar=profile.ar or auto, stylize=str(profile.stylize) if profile.stylize is not None else auto,
        raw=on(profile.raw), translate=on(profile.translate), notify=on(profile.notify),
        suffix=(profile.suffix if private else plain_text(lang, "settings.hidden")) if profile.suffix
        else plain_text(lang, "settings.none"), language=plain_text(lang, "settings.language_name"),
    )  # fmt: skip


def settings_pointer(owner: Requester) -> str:
    """/settings in a group: one line; its button opens the panel in a private chat with the bot."""
    return say(owner.lang, "settings.pointer", who=_who(owner))


def settings_panel(key: str, owner: Requester, profile: Profile, *, private: bool = True) -> MessageSpec:
    """One message with a row of buttons per setting; ✅ marks the current choice."""
    lang = owner.lang
    words = shown(profile, lang, private=private)
    body = say(lang, "settings.body", who=_who(owner), **vars(words))

    def pick(field: str, value: str, label: str, current: bool) -> KeyButton:
        return KeyButton(f"✅ {label}" if current else label, panel_data(key, field, value))

    def toggle(field: str, label_key: str, value: bool) -> KeyButton:
        state = plain_text(lang, "settings.on" if value else "settings.off")
        label = plain_text(lang, "settings.toggle", label=plain_text(lang, label_key), state=state)
        return KeyButton(label, panel_data(key, field, "flip"))

    speed = profile.speed or "fast"
    auto = plain_text(lang, "settings.auto")
    rows: list[tuple[KeyButton, ...]] = [
        tuple(pick("sp", s, plain_text(lang, f"settings.speed_name.{s}"), speed == s) for s in ("fast", "relax", "turbo")),
        (
            *(pick("v", v, "Niji 6" if v == "niji6" else f"V{v}", profile.version == v) for v in VERSIONS),
            pick("v", "auto", auto, profile.version is None),
        ),
        (*(pick("ar", a, a, profile.ar == a) for a in ASPECTS), pick("ar", "auto", auto, profile.ar is None)),
        (
            *(pick("s", str(s), f"S {s}", profile.stylize == s) for s in STYLIZES),
            pick("s", "auto", auto, profile.stylize is None),
        ),
        (toggle("raw", "settings.raw", profile.raw), toggle("tr", "settings.translate", profile.translate)),
        (toggle("nt", "settings.notify", profile.notify),),
        (pick("lang", "en", "English", lang == "en"), pick("lang", "zh", "中文", lang == "zh")),
    ]  # fmt: skip
    return MessageSpec(body=body, keyboard=tuple(rows), interactive=True)


# /describe and /shorten


def suggestions(kind: str, key: str, owner: Requester, prompts: Sequence[str]) -> MessageSpec:
    """`kind` is "describe" or "shorten": the prompts, numbered, with a button each that starts it."""
    lang = owner.lang
    if not prompts:
        return MessageSpec(body=say(lang, f"{kind}.empty"), final=True)
    lines = "\n\n".join(
        f"<b>{n}.</b> <code>{html.escape(_clip(p, SUGGESTION_CHARS))}</code>" for n, p in enumerate(prompts, 1)
    )
    body = say(lang, f"{kind}.result", who=_who(owner), lines=Html(lines))
    buttons = tuple(KeyButton(f"🎨 {n}", panel_data(key, "go", str(n))) for n in range(1, len(prompts) + 1))
    return MessageSpec(body=body, keyboard=(buttons,), final=True)


def working(kind: str, owner: Requester) -> MessageSpec:
    return MessageSpec(body=say(owner.lang, f"{kind}.working", who=_who(owner)))


def tool_failed(kind: str, owner: Requester, reason: str) -> MessageSpec:
    return MessageSpec(body=say(owner.lang, f"{kind}.failed", reason=reason), final=True)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# /info


def message_link(job: Job) -> str | None:
    """A t.me link to the job's message: only supergroups have them."""
    if job.message_id is None or not str(job.chat_id).startswith("-100"):
        return None
    return f"https://t.me/c/{str(job.chat_id)[4:]}/{job.message_id}"


def info(
    user: Requester,
    jobs: Sequence[Job],
    usage: Usage,
    profile: Profile,
    chat_id: int,
    positions: Mapping[int, int | None] | None = None,
) -> str:
    """Jobs of other chats are counted, not named: a private prompt is not read out in a group."""
    lang = user.lang
    lines = [say(lang, "info.head", who=_who(user))]
    here = [j for j in jobs if j.chat_id == chat_id]
    running = [j for j in here if j.state in (JobState.SUBMITTING, JobState.RUNNING)]
    waiting = [j for j in here if j.state is JobState.QUEUED]
    if not jobs:
        lines.append(say(lang, "info.no_jobs"))
    for key, group in (("info.running", running), ("info.queued", waiting)):
        if group:
            lines.append(say(lang, key))
            lines += [_info_job(job, (positions or {}).get(job.id)) for job in group[:20]]
    if len(jobs) > len(here):
        lines.append(say(lang, "info.elsewhere", count=len(jobs) - len(here)))
    def limit(n: int) -> str:
        return str(n) if n else plain_text(lang, "info.no_limit")

    lines.append("")
    lines.append(say(lang, "info.today", used=usage.used, limit=limit(usage.limit)))
    if usage.chat_used is not None:
        lines.append(say(lang, "info.chat_today", used=usage.chat_used, limit=limit(usage.chat_limit)))
    lines.append(say(lang, "info.active", active=len(jobs), limit=limit(usage.active_limit)))
    if usage.limit or usage.chat_limit:
        lines.append(say(lang, "info.resets", time=f"{usage.resets_at:%H:%M}", zone=zone_name(usage.resets_at, lang)))
    words = shown(profile, lang, private=chat_id > 0)
    lines.append(say(lang, "info.settings", **{k: v for k, v in vars(words).items() if k != "language"}))
    return "\n".join(lines)


def _info_job(job: Job, position: int | None) -> str:
    title = html.escape(_clip(job.title, 60))
    link = message_link(job)
    shown_title = f'<a href="{link}">{title}</a>' if link else title
    status = status_of(JobView(job, position=position))
    line = say(job.requester.lang, "info.job", link=Html(shown_title), status=status)
    english = english_of(job.prompt, job.upstream_prompt)
    return line + say(job.requester.lang, "job.english", text=_clip(english, 200)) if english else line

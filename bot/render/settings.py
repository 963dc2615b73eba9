"""The /settings panel (a row of buttons per setting, ✅ on the current choice), the one line a
group gets instead, and a profile's settings in words (also used by /info)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.callbacks import AUTO, FLIP, Setting, setting_data
from bot.core.domain import Requester
from bot.core.profile import ASPECTS, STYLIZES, VERSIONS, Profile
from bot.core.prompt import MODES
from bot.i18n import Html
from bot.i18n import html as say
from bot.i18n import text as plain_text
from bot.render.spec import KeyButton, MessageSpec, mention


def _who(user: Requester) -> Html:
    return Html(mention(user))


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

    def pick(setting: Setting, value: str, label: str, current: bool) -> KeyButton:
        return KeyButton(f"✅ {label}" if current else label, setting_data(key, setting, value))

    def toggle(setting: Setting, label_key: str, value: bool) -> KeyButton:
        state = plain_text(lang, "settings.on" if value else "settings.off")
        label = plain_text(lang, "settings.toggle", label=plain_text(lang, label_key), state=state)
        return KeyButton(label, setting_data(key, setting, FLIP))

    speed = profile.speed or "fast"
    auto = plain_text(lang, "settings.auto")
    rows: list[tuple[KeyButton, ...]] = [
        tuple(pick(Setting.SPEED, s, plain_text(lang, f"settings.speed_name.{s}"), speed == s) for s in MODES),
        (
            *(pick(Setting.VERSION, v, "Niji 6" if v == "niji6" else f"V{v}", profile.version == v) for v in VERSIONS),
            pick(Setting.VERSION, AUTO, auto, profile.version is None),
        ),
        (*(pick(Setting.ASPECT, a, a, profile.ar == a) for a in ASPECTS), pick(Setting.ASPECT, AUTO, auto, profile.ar is None)),
        (
            *(pick(Setting.STYLIZE, str(s), f"S {s}", profile.stylize == s) for s in STYLIZES),
            pick(Setting.STYLIZE, AUTO, auto, profile.stylize is None),
        ),
        (toggle(Setting.RAW, "settings.raw", profile.raw), toggle(Setting.TRANSLATE, "settings.translate", profile.translate)),
        (toggle(Setting.NOTIFY, "settings.notify", profile.notify),),
        (pick(Setting.LANGUAGE, "en", "English", lang == "en"), pick(Setting.LANGUAGE, "zh", "中文", lang == "zh")),
    ]  # fmt: skip
    return MessageSpec(body=body, keyboard=tuple(rows), interactive=True)

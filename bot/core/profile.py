"""A person's defaults (/settings, /prefer, /fast…) and what they do to a prompt. No I/O.

A profile holds the interface language (None: follow Telegram's `language_code`), the speed, and
defaults for the model version, aspect ratio, stylize and raw style, whether CJK prompts are
translated, whether results come as a new message (notify), and a suffix for every prompt. Defaults
are appended only for parameters the prompt does not set itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.core.callbacks import AUTO, FLIP, Setting, SettingTap
from bot.core.domain import Wishes
from bot.core.prompt import MODES, Prompt, PromptError, params_of, parse_prompt
from bot.i18n import LANGUAGES, language_of

VERSIONS = ("7", "6.1", "niji6")  # offered in /settings; "niji6" is sent as `--niji 6`
ASPECTS = ("1:1", "3:2", "2:3", "16:9", "9:16")
STYLIZES = (50, 100, 250, 750)
SUFFIX_LIMIT = 200
# Parameters that set the same thing: a default for one is not added when any of them is typed.
_SAME = ({"ar", "aspect"}, {"v", "version", "niji"}, {"s", "stylize"}, {"style"})


@dataclass(frozen=True)
class Profile:
    user_id: int
    lang: str | None = None
    speed: str | None = None
    version: str | None = None
    ar: str | None = None
    stylize: int | None = None
    raw: bool = False
    translate: bool = True
    notify: bool = False
    suffix: str = ""

    @property
    def wishes(self) -> Wishes:
        return Wishes(mode=self.speed, translate=self.translate, notify=self.notify)

    def language(self, telegram_code: str | None, default: str = "en") -> str:
        return self.lang or language_of(telegram_code, default)

    def defaults(self) -> str:
        """The parameters these settings add to a prompt that sets none of them."""
        parts: list[str] = []
        if self.version:
            parts.append("--niji 6" if self.version == "niji6" else f"--v {self.version}")
        if self.ar:
            parts.append(f"--ar {self.ar}")
        if self.stylize is not None:
            parts.append(f"--s {self.stylize}")
        if self.raw:
            parts.append("--style raw")
        return " ".join(parts)


def _covered(name: str, present: set[str]) -> bool:
    group = next((g for g in _SAME if name in g), {name})
    return bool(group & present)


def with_defaults(prompt: Prompt, profile: Profile) -> Prompt:
    """The prompt with the person's suffix and defaults appended where it sets nothing itself.
    Raises `PromptError` when the result is not a valid prompt (e.g. too long)."""
    present = set(prompt.params)
    extra: list[str] = []
    for chunk in (profile.suffix, profile.defaults()):
        if not chunk:
            continue
        words, params = _split(chunk)
        extra.extend(words)
        for name, value in params:
            if not _covered(name, present):
                extra.append(f"--{name} {value}".strip())
                present.add(name)
    mode = prompt.mode or profile.speed
    if not extra:
        return replace(prompt, mode=mode)
    text = _insert(
        prompt.text, [w for w in extra if not w.startswith("--")], [w for w in extra if w.startswith("--")]
    )
    checked = parse_prompt(" ".join([*prompt.image_urls, text]), pictures=0, blend=True)
    return replace(checked, mode=mode)


def _split(chunk: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Free words and (name, value) parameters of a suffix."""
    params = params_of(chunk)
    head = chunk.split(" --", 1)[0] if not chunk.startswith("--") else ""
    return ([head] if head.strip() else []), params


def _insert(text: str, words: list[str], params: list[str]) -> str:
    """Words go after the description, parameters after the prompt's own parameters."""
    if " --" in f" {text}":
        description, _, own = f" {text}".partition(" --")
        own = f"--{own}"
    else:
        description, own = text, ""
    return " ".join(p for p in (description.strip(), *words, own, *params) if p)


def check_suffix(suffix: str) -> str:
    """A suffix as stored: cleaned, checked like a prompt's tail. Raises `PromptError`."""
    checked = parse_prompt(f"x {suffix}", blend=True)
    if checked.image_urls or any(w.lower().startswith(("http://", "https://")) for w in suffix.split()):
        raise PromptError("prompt.no_links")
    if checked.mode:
        raise PromptError("prompt.no_speed")
    return checked.text[2:].strip()


_FLIPS = {Setting.RAW: "raw", Setting.TRANSLATE: "translate", Setting.NOTIFY: "notify"}


def change(profile: Profile, tap: SettingTap) -> dict[str, Any] | None:
    """What a tap on the /settings panel changes; a value we did not offer is None."""
    value, auto = tap.value, tap.value == AUTO
    match tap.setting:
        case Setting.SPEED if value in MODES:
            return {"speed": value}
        # Tapping the chosen value again (✅) goes back to Auto, like tapping Auto.
        case Setting.VERSION if auto or value in VERSIONS:
            return {"version": None if auto or value == profile.version else value}
        case Setting.ASPECT if auto or value in ASPECTS:
            return {"ar": None if auto or value == profile.ar else value}
        case Setting.STYLIZE if auto or (value.isdigit() and int(value) in STYLIZES):
            return {"stylize": None if auto or int(value) == profile.stylize else int(value)}
        case Setting.LANGUAGE if value in LANGUAGES:
            return {"lang": value}
        case Setting.RAW | Setting.TRANSLATE | Setting.NOTIFY if value == FLIP:
            name = _FLIPS[tap.setting]
            return {name: not getattr(profile, name)}
    return None

"""Each person's defaults (/settings, /prefer, /fast…) and what they do to a prompt.

A profile holds the interface language (None: follow Telegram's `language_code`), the speed, and
defaults for the model version, aspect ratio, stylize and raw style, whether CJK prompts are
translated, whether results come as a new message (notify), and a suffix for every prompt. Defaults
are appended only for parameters the prompt does not set itself. Profiles live in SQLite and are
cached here (a few hundred bytes each).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from bot.core.domain import Requester, Wishes
from bot.core.prompt import MODES, Prompt, PromptError, params_of, parse_prompt
from bot.i18n import LANGUAGES, language_of
from bot.store import Store

VERSIONS = ("7", "6.1", "niji6")  # offered in /settings; "niji6" is sent as `--niji 6`
ASPECTS = ("1:1", "3:2", "2:3", "16:9", "9:16")
STYLIZES = (50, 100, 250, 750)
SUFFIX_LIMIT = 200
_CACHED = 5000
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


def change(profile: Profile, field: str, value: str) -> dict[str, Any] | None:
    """What a tap on the /settings panel changes (field and value come from callback data, so
    anything we did not offer is None)."""
    auto = value == "auto"
    if field == "sp" and value in MODES:
        return {"speed": value}
    # Tapping the chosen value again (✅) goes back to Auto, like tapping Auto.
    if field == "v" and (auto or value in VERSIONS):
        return {"version": None if auto or value == profile.version else value}
    if field == "ar" and (auto or value in ASPECTS):
        return {"ar": None if auto or value == profile.ar else value}
    if field == "s" and (auto or (value.isdigit() and int(value) in STYLIZES)):
        return {"stylize": None if auto or int(value) == profile.stylize else int(value)}
    if field == "lang" and value in LANGUAGES:
        return {"lang": value}
    flips = {"raw": "raw", "tr": "translate", "nt": "notify"}
    if field in flips and value == "flip":
        name = flips[field]
        return {name: not getattr(profile, name)}
    return None


class Profiles:
    """Read and change profiles; every read after the first comes from memory."""

    def __init__(self, store: Store, default_lang: str = "en") -> None:
        self._store = store
        self.default_lang = default_lang if default_lang in LANGUAGES else "en"
        self._cache: OrderedDict[int, Profile] = OrderedDict()

    async def get(self, user_id: int) -> Profile:
        profile = self._cache.get(user_id)
        if profile is None:
            row = await self._store.profiles.get(user_id)
            profile = Profile(user_id, **row) if row else Profile(user_id)
            self._cache[user_id] = profile
            while len(self._cache) > _CACHED:
                self._cache.popitem(last=False)
        self._cache.move_to_end(user_id)
        return profile

    async def update(self, user_id: int, **changes: Any) -> Profile:
        profile = replace(await self.get(user_id), **changes)
        fields = {k: getattr(profile, k) for k in _FIELDS}
        await self._store.profiles.save(user_id, fields)
        self._cache[user_id] = profile
        return profile

    async def requester(
        self, user_id: int, first_name: str, username: str | None, telegram_lang: str | None
    ) -> tuple[Requester, Profile]:
        """Who is asking, with the language their messages are written in, and their profile."""
        profile = await self.get(user_id)
        lang = profile.language(telegram_lang, self.default_lang)
        return Requester(user_id, first_name, username, lang), profile


_FIELDS = ("lang", "speed", "version", "ar", "stylize", "raw", "translate", "notify", "suffix")

"""A person's defaults: appended only where the prompt sets nothing, the suffix, the settings
panel's taps, and profiles kept in SQLite."""

from __future__ import annotations

import pytest

from bot.core.callbacks import SettingTap, parse_panel
from bot.core.profile import Profile, change, check_suffix, with_defaults
from bot.core.prompt import PromptError, parse_prompt
from bot.features.profiles import Profiles
from bot.store import Store


def _with(prompt: str, **settings: object) -> str:
    return with_defaults(parse_prompt(prompt), Profile(1, **settings)).full  # type: ignore[arg-type]


def test_defaults_only_where_the_prompt_sets_nothing() -> None:
    full = {"version": "7", "ar": "16:9", "stylize": 250, "raw": True}
    assert _with("a fox", **full) == "a fox --v 7 --ar 16:9 --s 250 --style raw"
    assert _with("a fox --aspect 1:1 --niji 6 --stylize 50 --style cute", **full) == (
        "a fox --aspect 1:1 --niji 6 --stylize 50 --style cute"
    )
    assert _with("a fox", version="niji6") == "a fox --niji 6"
    assert _with("https://a.test/x.png a fox --iw 2", ar="3:2") == "https://a.test/x.png a fox --iw 2 --ar 3:2"
    assert _with("a fox") == "a fox"


def test_the_suffix_goes_after_the_description_and_its_parameters_after_the_prompts() -> None:
    assert _with("an owl --s 250", suffix="cinematic --chaos 20", ar="16:9") == (
        "an owl cinematic --s 250 --chaos 20 --ar 16:9"
    )
    assert _with("an owl --ar 1:1", suffix="--ar 16:9") == "an owl --ar 1:1", "the prompt's own wins"


def test_speed_the_prompts_own_wins() -> None:
    assert with_defaults(parse_prompt("a fox"), Profile(1, speed="relax")).mode == "relax"
    assert with_defaults(parse_prompt("a fox --turbo"), Profile(1, speed="relax")).mode == "turbo"
    assert Profile(1, speed="relax", translate=False, notify=True).wishes.mode == "relax"


def test_a_suffix_is_checked_like_a_prompt() -> None:
    assert check_suffix("  cinematic   --ar 16:9 ") == "cinematic --ar 16:9"
    for bad, fragment in (("--ar wide", "--ar needs a ratio"), ("https://a.test/x.png", "image links"),
                          ("--relax", "/fast, /relax")):  # fmt: skip
        with pytest.raises(PromptError, match=fragment):
            check_suffix(bad)


def tap(field: str, value: str) -> SettingTap:
    parsed = parse_panel(f"p:key123:{field}:{value}")
    assert isinstance(parsed, SettingTap), (field, value)
    return parsed


def test_settings_taps_change_only_what_was_offered() -> None:
    profile = Profile(1)
    assert change(profile, tap("sp", "relax")) == {"speed": "relax"}
    assert change(profile, tap("v", "niji6")) == {"version": "niji6"} and change(profile, tap("v", "auto")) == {"version": None}
    assert change(profile, tap("ar", "16:9")) == {"ar": "16:9"} and change(profile, tap("s", "250")) == {"stylize": 250}
    assert change(profile, tap("tr", "flip")) == {"translate": False} and change(profile, tap("nt", "flip")) == {"notify": True}
    assert change(profile, tap("lang", "zh")) == {"lang": "zh"}
    assert change(Profile(1, ar="16:9"), tap("ar", "16:9")) == {"ar": None}, "a second tap on ✅ 16:9: Auto again"
    for field, value in (("sp", "ludicrous"), ("v", "99"), ("ar", "7:1"), ("s", "251"), ("lang", "fr"),
                         ("raw", "on")):  # fmt: skip
        assert change(profile, tap(field, value)) is None
    assert parse_panel("p:key123:xx:1") is None, "a setting we do not have is not even parsed"


async def test_profiles_persist_and_language_follows_telegram_until_chosen(store: Store) -> None:
    profiles = Profiles(store)
    who, profile = await profiles.requester(5, "Li", "li", "zh-hans")
    assert who.lang == "zh" and profile == Profile(5)
    await profiles.update(5, lang="en", speed="turbo", suffix="--chaos 5", notify=True)
    fresh = Profiles(store)
    who, profile = await fresh.requester(5, "Li", "li", "zh-hans")
    assert who.lang == "en" and profile.speed == "turbo" and profile.suffix == "--chaos 5" and profile.notify
    assert (await Profiles(store, "zh").requester(6, "Ivan", None, "ru"))[0].lang == "zh", "the operator's default"

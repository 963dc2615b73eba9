"""The catalogues: the same keys and placeholders in English and Chinese, markup that Telegram
accepts, arguments escaped, and a person's language from their Telegram `language_code`."""

from __future__ import annotations

import re
import string

import pytest

from bot.i18n import CATALOGUES, Html, Msg, html, language_of, text

_TAG = re.compile(r"</?([a-z]+)[^>]*>")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogues_have_the_same_keys() -> None:
    en, zh = set(CATALOGUES["en"]), set(CATALOGUES["zh"])
    assert en - zh == set(), f"missing in zh: {sorted(en - zh)}"
    assert zh - en == set(), f"missing in en: {sorted(zh - en)}"


@pytest.mark.parametrize("key", sorted(CATALOGUES["en"]))
def test_placeholders_and_markup_match(key: str) -> None:
    en, zh = CATALOGUES["en"][key], CATALOGUES["zh"][key]
    assert _fields(en) == _fields(zh), key
    for template in (en, zh):
        assert template.rstrip() == template and template.strip(), key
    if key.startswith("cmd."):  # the command menu is plain text: "<user id>" is no tag
        return
    assert sorted(_TAG.findall(en)) == sorted(_TAG.findall(zh)), f"{key}: the same HTML tags"
    for template in (en, zh):
        assert set(_TAG.findall(template)) <= {"b", "i", "code", "a"}, "tags Telegram's HTML mode knows"
        filled = template.format(**{name: "x" for name in _fields(template)})
        assert "{" not in filled and "}" not in filled


def test_languages_from_telegram() -> None:
    assert language_of("zh-hans") == language_of("zh-TW") == language_of("ZH") == "zh"
    assert language_of("en-US") == language_of(None) == language_of("") == "en"
    assert language_of("ru") == "en" and language_of("ru", default="zh") == "zh"


def test_html_escapes_arguments_unless_marked() -> None:
    said = html("en", "unknown.command", name="<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in said
    assert html("en", "admin.allowed", who=Html("user <code>1</code>")).startswith("✅ user <code>1</code>")
    assert text("en", "tap.busy", label="<U1>") == "<U1> is already in progress."


def test_a_message_is_said_in_the_readers_language() -> None:
    msg = Msg("prompt.too_long", {"length": 4100, "limit": 4000})
    assert msg.text("en") == "The prompt is too long (4100 characters; at most 4000)."
    assert msg.text("zh") == "提示词太长（4100 个字符，最多 4000 个）。"
    assert msg.text("fr") == msg.text("en"), "an unknown language falls back to English"

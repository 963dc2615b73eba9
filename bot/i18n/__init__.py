"""Every user-facing string, in English and Simplified Chinese, looked up by key.

`en.py` and `zh.py` hold one dict each (a test keeps their keys and placeholders equal). Templates
use `str.format` fields. `text()` gives plain text (callback answers, stored failure reasons);
`html()` gives HTML for messages: every argument is escaped unless it is wrapped in `Html` (markup
the caller built, e.g. a mention). `Msg` is a message not yet said in a language, so that layers
below the chat (prompt checks, picture hosting, failures) can name one without knowing who reads it.

A person's language comes from their `/settings` choice, else their Telegram `language_code`
(`zh*` is Chinese), else the operator's `DEFAULT_LANGUAGE`.
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import en, zh

LANGUAGES = ("en", "zh")
CATALOGUES: Mapping[str, Mapping[str, str]] = {"en": en.MESSAGES, "zh": zh.MESSAGES}


class Html(str):
    """Text that is already HTML (a mention, a link): `html()` inserts it as it is."""

    __slots__ = ()


@dataclass(frozen=True)
class Msg:
    """A message by key and arguments, said later in the reader's language."""

    key: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return text(lang, self.key, **self.args)

    def html(self, lang: str) -> str:
        return html(lang, self.key, **self.args)


def language_of(code: str | None, default: str = "en") -> str:
    """Our language for a Telegram `language_code` ("zh-hans", "zh-TW" → "zh"; "en-US" → "en")."""
    if not code:
        return default
    code = code.lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return default


def _template(lang: str, key: str) -> str:
    catalogue = CATALOGUES.get(lang) or CATALOGUES["en"]
    found = catalogue.get(key)
    if found is None:
        found = CATALOGUES["en"][key]  # a KeyError here is a bug the catalogue test catches
    return found


def text(lang: str, key: str, /, **args: Any) -> str:
    """Plain text: arguments go in as they are."""
    return _template(lang, key).format(**args)


def html(lang: str, key: str, /, **args: Any) -> str:
    """HTML: the template's own markup stays, every argument not marked `Html` is escaped."""
    safe = {k: v if isinstance(v, Html) else _html.escape(str(v), quote=False) for k, v in args.items()}
    return _template(lang, key).format(**safe)

"""The Draw mask page as HTML, in the reader's language: `static/region.html` with its CSS and
script inlined (one request; the picture and the controls paint at once, before Telegram's own
script, which loads with `defer` and may be slow). Pure: strings in, a page out."""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib import resources

from bot.i18n import CATALOGUES, text

_PAGE_KEYS = tuple(k for k in CATALOGUES["en"] if k.startswith("draw."))


@cache
def _static(name: str) -> str:
    return resources.files("bot.web.miniapp").joinpath("static", name).read_text(encoding="utf-8")


def _strings(lang: str) -> str:
    """The page's texts as JSON that is safe inside a <script> element."""
    found = {key.removeprefix("draw."): text(lang, key) for key in _PAGE_KEYS}
    return json.dumps(found, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


_FIELD = re.compile(r"\{\{([A-Z_]+)\}\}")


def _fill(template: str, values: dict[str, str]) -> str:
    """Every {{FIELD}} in one pass: a value that itself holds "{{SCRIPT}}" stays text."""
    return _FIELD.sub(lambda match: values[match.group(1)], template)


def region_page(lang: str, picture_url: str, prompt: str, action: str) -> str:
    """`action`: where the painting is POSTed (the picker's own path, whichever address opened it)."""

    def say(key: str) -> str:
        return html.escape(text(lang, f"draw.{key}"), quote=True)

    return _fill(_static("region.html"), {
        "LANG": "zh-Hans" if lang == "zh" else "en", "TITLE": say("title"), "INSTRUCTION": say("instruction"),
        "ACTION": html.escape(action, quote=True), "TOOL": say("tool"), "BOX": say("box"), "SIZE": say("size"),
        "BRUSH": say("brush"), "UNDO": say("undo"), "CLEAR": say("clear"), "PLACEHOLDER": say("prompt"),
        "REPAINT": say("repaint"), "PICTURE_ALT": say("picture"), "IMAGE": html.escape(picture_url, quote=True),
        "PROMPT": html.escape(prompt, quote=True), "STRINGS": _strings(lang), "CSS": _static("region.css"),
        "SCRIPT": _static("region.js"),
    })  # fmt: skip


def closed_page(lang: str) -> str:
    """A closed, unknown or expired picker: a styled page with a viewport, saying what to do."""
    return _fill(_static("closed.html"), {
        "LANG": "zh-Hans" if lang == "zh" else "en", "TITLE": html.escape(text(lang, "draw.closed_title")),
        "HINT": html.escape(text(lang, "draw.closed_hint")), "CSS": _static("region.css"),
    })  # fmt: skip

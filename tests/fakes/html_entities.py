"""Telegram's HTML parse mode, as the Bot API applies it (modelled on tdlib's parse_html).

The fake runs it on every text/caption sent with ``parse_mode=HTML`` so that the bot fails in
tests the way it would in production: an unescaped ``<`` in a user's prompt gives the same
"can't parse entities" 400, and length limits count the visible text in UTF-16 units.
"""

from __future__ import annotations

import re
from typing import Any

TAG_TYPES: dict[str, str] = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(match: re.Match[str]) -> str:
    body = match.group(1)
    if body in _NAMED:
        return _NAMED[body]
    code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
    return chr(code) if 0 < code <= 0x10FFFF else match.group(0)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (visible text, entities) or raise ValueError with Telegram's message."""
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def emit(chunk: str) -> None:
        nonlocal pos16
        out.append(chunk)
        pos16 += utf16_len(chunk)

    while i < n:
        char = text[i]
        if char == "&":
            match = _ENTITY.match(text, i)
            if match:
                emit(_decode_entity(match))
                i = match.end()
            else:
                emit("&")
                i += 1
            continue
        if char != "<":
            j = i
            while j < n and text[j] not in "<&":
                j += 1
            emit(text[i:j])
            i = j
            continue
        offset = _byte_offset(text, i)
        if text.startswith("</", i):
            if not stack:
                raise ValueError(f"Unexpected end tag at byte offset {offset}")
            close = text.find(">", i)
            if close == -1:
                raise ValueError(f"Unclosed end tag at byte offset {offset}")
            name = text[i + 2 : close].strip().lower()
            tag, kind, start, attrs = stack[-1]
            if name and name != tag:
                raise ValueError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", found "</{name}>"'
                )
            stack.pop()
            if pos16 > start:
                entity: dict[str, Any] = {"type": kind, "offset": start, "length": pos16 - start}
                if kind == "text_link":
                    entity["url"] = attrs.get("href", "")
                if kind == "custom_emoji":
                    entity["custom_emoji_id"] = attrs.get("emoji-id", "")
                entities.append(entity)
            i = close + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise ValueError(f"Unclosed start tag at byte offset {offset}")
        name = text[i + 1 : j].lower()
        if name not in TAG_TYPES:
            raise ValueError(f'Unsupported start tag "{name}" at byte offset {offset}')
        close = text.find(">", j)
        if close == -1:
            raise ValueError(f"Unclosed start tag at byte offset {offset}")
        attrs = {m[0].lower(): m[1] or m[2] or m[3] for m in _ATTR.findall(text[j:close])}
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise ValueError('Tag "span" must have class "tg-spoiler"')
        stack.append((name, TAG_TYPES[name], pos16, attrs))
        i = close + 1
    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities

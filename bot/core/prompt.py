"""Parse and sanity-check what users type after /imagine, before it costs them credit.

Only obvious mistakes in well-known parameters are caught here; parameters we do not know are
passed through, and upstream has the last word (it answers `bad_request` for unknown ones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.i18n import Msg

MAX_IMAGE_URLS = 5
MAX_PROMPT_CHARS = 4000
MODES = ("fast", "relax", "turbo")

# Phones turn "--" into an em or en dash, Chinese keyboards type "——" or full-width "－－";
# Midjourney users expect "—ar 3:2" and "——ar 3：2" to work.
_DASHES = re.compile(r"(^|\s)(?:——|—|–|−−|－－|--)(?=[a-z])", re.IGNORECASE)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９：．", "0123456789:.")  # in --parameter values
# Chinese, Japanese and Korean script: a prompt with any of it is sent for translation.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def split_prompt(prompt: str) -> tuple[str, str, str]:
    """(leading image URLs, the words, the --parameters) of a prompt as sent upstream."""
    words = prompt.split(" ")
    urls: list[str] = []
    while words and _URL.match(words[0]):
        urls.append(words.pop(0))
    head, sep, tail = f" {' '.join(words)}".partition(" --")
    return " ".join(urls), head.strip(), f"--{tail}".strip() if sep else ""


def english_of(typed: str, sent: str | None) -> str | None:
    """What Midjourney received in English for a prompt typed in Chinese (Japanese, Korean): the
    words and --parameters sent, image links left out; None when no translation was made."""
    if not sent or not needs_translation(typed):
        return None
    _, words, params = split_prompt(sent)
    if needs_translation(words):  # not translated (turned off, or the translator failed)
        return None
    return " ".join(p for p in (words, params) if p) or None


def needs_translation(prompt: str) -> bool:
    """Whether a prompt (its image URLs aside) holds Chinese, Japanese or Korean text: then AceData
    is asked to translate it (`translation: true`); the URLs and --parameters stay as typed."""
    return bool(_CJK.search(" ".join(w for w in prompt.split() if not _URL.match(w))))
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_PARAM = re.compile(r"(?:^|\s)--([a-z][a-z0-9_-]*)(?:\s+((?:(?!--)\S+)(?:\s+(?!--)\S+)*))?", re.IGNORECASE)


# Invisible and direction-changing characters: bidi embeddings, overrides and isolates, zero-width
# marks and joiners, the BOM, C0 and C1 controls. They can make a caption read differently from what
# was typed (or sent); ordinary right-to-left letters (Arabic, Hebrew) are not among them.
_INVISIBLE = re.compile("[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_text(text: str) -> str:
    """What a user typed, without invisible or direction-changing characters, on one line."""
    return " ".join(_INVISIBLE.sub(" ", text).split())


class PromptError(ValueError):
    """What the user should fix, as a catalogue message (`bot.i18n`) said in their language."""

    def __init__(self, key: str, **args: object) -> None:
        self.msg = Msg(key, args)
        super().__init__(self.msg.text("en"))  # the log's words


@dataclass(frozen=True)
class Prompt:
    """A checked prompt: image URLs first, then the text with its --parameters."""

    text: str
    image_urls: tuple[str, ...] = ()
    mode: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def full(self) -> str:
        """The prompt exactly as sent upstream."""
        return " ".join([*self.image_urls, self.text]).strip()


def _shown(number: float) -> str:
    """A bound as people write it: 4294967295, not 4.29497e+09; 0.5, not 0.500000."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _number(name: str, value: str, low: float, high: float, *, integer: bool = False) -> None:
    bounds = {"name": name, "low": _shown(low), "high": _shown(high), "value": value}
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        raise PromptError("prompt.whole_number" if integer else "prompt.number", **bounds) from None
    if not low <= number <= high:
        raise PromptError("prompt.range", **bounds)


def _check_param(name: str, value: str) -> None:
    first = value.split()[0] if value else ""
    if name in {"ar", "aspect"}:
        if not re.fullmatch(r"\d{1,4}:\d{1,4}", first) or "0" in {
            p.lstrip("0") or "0" for p in first.split(":")
        }:
            raise PromptError("prompt.ratio", name=name, value=first or "…")
    elif name in {"chaos", "c"}:
        _number(name, first, 0, 100, integer=True)
    elif name in {"stylize", "s"}:
        _number(name, first, 0, 1000, integer=True)
    elif name in {"weird", "w"}:
        _number(name, first, 0, 3000, integer=True)
    elif name == "iw":
        _number(name, first, 0, 3)
    elif name in {"seed", "sameseed"}:
        _number(name, first, 0, 4294967295, integer=True)
    elif name in {"stop"}:
        _number(name, first, 10, 100, integer=True)
    elif name in {"q", "quality"}:
        if first not in {".25", "0.25", ".5", "0.5", "1", "2", "4"}:
            raise PromptError("prompt.quality", name=name, value=first or "…")
    elif name in {"v", "version"}:
        _number(name, first, 1, 10)
    elif name in {"no", "sref", "cref", "style", "p", "profile"} and not first:
        raise PromptError("prompt.needs_value", name=name)


def params_of(text: str) -> list[tuple[str, str]]:
    """The `--name value` pairs of a text, in order, names lower-cased."""
    return [(m.group(1).lower(), (m.group(2) or "").strip()) for m in _PARAM.finditer(text)]


def parse_prompt(raw: str, *, pictures: int = 0, blend: bool = False) -> Prompt:
    """Split leading image URLs, pull out the speed mode, check the well-known parameters.

    `pictures` counts images given another way (attached photos); with two or more images in all,
    or for a `blend` (whose image count the caller checks), text is optional."""
    text = _DASHES.sub(lambda m: f"{m.group(1)}--", clean_text(raw))
    if " --" in f" {text}":
        head, _, tail = f" {text}".partition(" --")
        text = f"{head} --{tail.translate(_FULL_WIDTH)}".strip()
    if len(text) > MAX_PROMPT_CHARS:
        raise PromptError("prompt.too_long", length=len(text), limit=MAX_PROMPT_CHARS)
    words = text.split(" ") if text else []
    urls: list[str] = []
    while words and _URL.match(words[0]):
        urls.append(words.pop(0))
    if len(urls) + pictures > MAX_IMAGE_URLS:
        raise PromptError("prompt.too_many_images", limit=MAX_IMAGE_URLS, found=len(urls) + pictures)
    if any(
        w.lower().startswith(("http:", "https:", "ftp:", "file:", "data:")) and not _URL.match(w)
        for w in urls
    ):
        raise PromptError("prompt.plain_links")
    rest = " ".join(words)

    mode: str | None = None
    params: dict[str, str] = {}
    for match in _PARAM.finditer(rest):
        name, value = match.group(1).lower(), (match.group(2) or "").strip()
        if name in MODES:
            if mode and mode != name:
                raise PromptError("prompt.one_speed")
            mode = name
            continue
        _check_param(name, value)
        params[name] = value
    if mode:
        rest = re.sub(rf"(?:^|\s)--(?:{'|'.join(MODES)})\b", "", rest, flags=re.IGNORECASE).strip()
        rest = " ".join(rest.split())
    description = _PARAM.sub(" ", rest).strip()
    if not description and not blend and len(urls) + pictures < 2:
        # One picture and no words: Midjourney needs text beside a single image prompt.
        raise PromptError("prompt.image_needs_text" if urls or pictures else "prompt.describe_first")
    return Prompt(text=rest, image_urls=tuple(urls), mode=mode, params=params)

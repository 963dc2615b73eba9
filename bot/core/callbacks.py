"""Every kind of `callback_data` the bot puts on a button, made and read here only (at most 64 bytes).

Data from Telegram is untrusted: each parser returns a typed value for exactly what the bot could
have produced, and None for anything else, the way aiogram's `CallbackData` factories do, so a tap
is parsed once and the services below take typed operations.

    b:<key>                    a result's action button (the key is looked up in the store)
    c:<job id>                 ✖ Cancel on a waiting job
    r:<key>:<op>               a Vary (Region) picker: t1…t16, all, clr, ok, x
    p:<key>:<field>:<value>    a /settings panel (field: sp, v, ar, s, lang, raw, tr, nt) or a
                               suggestion (/describe, /shorten: field go, value the prompt's number)
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

GRID = 4  # the Vary (Region) picker's grid is GRID × GRID cells, numbered from 1 row by row
CELLS = GRID * GRID

_KEY = r"([A-Za-z0-9_-]{6,32})"
_RESULT = re.compile(rf"^b:{_KEY}$")
_CANCEL = re.compile(r"^c:([1-9][0-9]{0,15})$")
_PICKER = re.compile(rf"^r:{_KEY}:(t(?:[1-9]|1[0-6])|all|clr|ok|x)$")
_PANEL = re.compile(rf"^p:{_KEY}:([a-z]{{1,8}}):([A-Za-z0-9_.:-]{{1,16}})$")


def result_data(key: str) -> str:
    return f"b:{key}"


def parse_result(data: str | None) -> str | None:
    """The button key of a result's action button, or None."""
    match = _RESULT.match(data or "")
    return match.group(1) if match else None


def cancel_data(job_id: int) -> str:
    return f"c:{job_id}"


def parse_cancel(data: str | None) -> int | None:
    match = _CANCEL.match(data or "")
    return int(match.group(1)) if match else None


class PickerAction(enum.StrEnum):
    TOGGLE = "t"
    ALL = "all"
    CLEAR = "clr"
    SUBMIT = "ok"
    CANCEL = "x"


@dataclass(frozen=True)
class PickerTap:
    """A tap on a picker: which picker, what to do, and (for TOGGLE) which cell."""

    key: str
    action: PickerAction
    cell: int = 0


def picker_data(key: str, action: PickerAction, cell: int = 0) -> str:
    return f"r:{key}:{action}{cell if action is PickerAction.TOGGLE else ''}"


def parse_picker(data: str | None) -> PickerTap | None:
    match = _PICKER.match(data or "")
    if not match:
        return None
    key, op = match.group(1), match.group(2)
    if op.startswith("t"):
        return PickerTap(key, PickerAction.TOGGLE, int(op[1:]))
    return PickerTap(key, PickerAction(op))


class Setting(enum.StrEnum):
    """What a /settings button changes."""

    SPEED = "sp"
    VERSION = "v"
    ASPECT = "ar"
    STYLIZE = "s"
    LANGUAGE = "lang"
    RAW = "raw"
    TRANSLATE = "tr"
    NOTIFY = "nt"


AUTO = "auto"  # a setting's value: back to no default
FLIP = "flip"  # an on/off setting's value: the other one


@dataclass(frozen=True)
class SettingTap:
    key: str
    setting: Setting
    value: str


@dataclass(frozen=True)
class SuggestionTap:
    """A tap on one of the prompts /describe or /shorten suggested (numbered from 1)."""

    key: str
    number: int


def setting_data(key: str, setting: Setting, value: str) -> str:
    return f"p:{key}:{setting}:{value}"


def suggestion_data(key: str, number: int) -> str:
    return f"p:{key}:go:{number}"


def parse_panel(data: str | None) -> SettingTap | SuggestionTap | None:
    match = _PANEL.match(data or "")
    if not match:
        return None
    key, field, value = match.groups()
    if field == "go":
        return SuggestionTap(key, int(value)) if value.isdigit() and 0 < int(value) <= 10 else None
    try:
        return SettingTap(key, Setting(field), value)
    except ValueError:
        return None

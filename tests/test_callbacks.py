"""Callback data (`bot/core/callbacks.py`): each kind round-trips within 64 bytes into a typed value,
and anything the bot did not make is None."""

from __future__ import annotations

import pytest

from bot.core.callbacks import (
    CELLS,
    PickerAction,
    PickerTap,
    Setting,
    SettingTap,
    SuggestionTap,
    cancel_data,
    parse_cancel,
    parse_panel,
    parse_picker,
    parse_result,
    picker_data,
    result_data,
    setting_data,
    suggestion_data,
)

KEY = "AbC_-12345x"


def test_result_and_cancel_round_trip() -> None:
    assert parse_result(result_data(KEY)) == KEY and len(result_data("k" * 32).encode()) <= 64
    for bad in (None, "", "b:", "x:abcdefgh", "b:abc", "b:" + "a" * 40, "b:abc<script>"):
        assert parse_result(bad) is None
    assert parse_cancel(cancel_data(42)) == 42
    for bad in ("c:", "c:0", "c:-1", "c:1x", "c:" + "9" * 20, "b:12"):
        assert parse_cancel(bad) is None


def test_picker_taps_are_typed() -> None:
    for cell in range(1, CELLS + 1):
        assert parse_picker(picker_data(KEY, PickerAction.TOGGLE, cell)) == PickerTap(KEY, PickerAction.TOGGLE, cell)
    for action in (PickerAction.ALL, PickerAction.CLEAR, PickerAction.SUBMIT, PickerAction.CANCEL):
        assert parse_picker(picker_data(KEY, action)) == PickerTap(KEY, action)
    assert len(picker_data("k" * 32, PickerAction.TOGGLE, 16).encode()) <= 64
    for bad in ("r:" + KEY + ":t0", "r:" + KEY + ":t17", "r:" + KEY + ":tx", "r:short:ok", "r:" + KEY + ":OK", "r:" + KEY):
        assert parse_picker(bad) is None


@pytest.mark.parametrize("setting", list(Setting))
def test_setting_taps_are_typed(setting: Setting) -> None:
    data = setting_data(KEY, setting, "16:9")
    assert parse_panel(data) == SettingTap(KEY, setting, "16:9") and len(data.encode()) <= 64


def test_suggestion_taps_and_foreign_panel_data() -> None:
    assert parse_panel(suggestion_data(KEY, 3)) == SuggestionTap(KEY, 3)
    for bad in ("p:AbCdEfGh123:ar", "p:short:ar:1", "p:AbCdEfGh123:AR:1", "p:AbCdEfGh123:ar:<b>",
                "p:AbCdEfGh123:zz:1", "p:AbCdEfGh123:go:x", "p:AbCdEfGh123:go:0", "p:AbCdEfGh123:go:99"):  # fmt: skip
        assert parse_panel(bad) is None, bad

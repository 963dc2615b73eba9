"""The Vary (Region) picker's message: the picture with its numbered grid, what is chosen, a toggle
per cell; and what a tap on it answers. Pure, in the picker owner's language, HTML."""

from __future__ import annotations

from functools import reduce

from bot.core.callbacks import GRID, PickerAction, picker_data
from bot.core.domain import Picker, PickerState, Requester
from bot.i18n import Html
from bot.i18n import html as say
from bot.i18n import text as plain_text
from bot.render.spec import KeyButton, MessageSpec, mention


def _who(user: Requester) -> Html:
    return Html(mention(user))


def picker_message(picker: Picker, overlay: bytes | None, draw_url: str | None = None) -> MessageSpec:
    """The region picker: the overlay, what is chosen, and a toggle per grid cell; with
    `draw_url`, a Mini App button to paint the area freehand instead."""
    lang = picker.owner.lang
    chosen = cell_list(picker.cells, lang) or plain_text(lang, "picker.nothing")
    if picker.state is PickerState.SUBMITTED:
        return MessageSpec(body=say(lang, "picker.submitted", chosen=chosen), final=True)
    if picker.state is PickerState.PAINTED:
        return MessageSpec(body=say(lang, "picker.painted"), final=True)
    if picker.state in (PickerState.CANCELLED, PickerState.EXPIRED):  # one line, in place of the picture
        return MessageSpec(body=say(lang, f"picker.{picker.state}", who=_who(picker.owner)), final=True)
    prompt = picker.prompt[:300] if picker.prompt else plain_text(lang, "picker.original")
    body = say(lang, "picker.body", who=_who(picker.owner), chosen=chosen, prompt=prompt)
    if draw_url:
        body += "\n" + say(lang, "picker.draw_hint")
    rows: list[tuple[KeyButton, ...]] = []
    for row in range(GRID):
        cells = range(row * GRID + 1, (row + 1) * GRID + 1)
        rows.append(
            tuple(
                KeyButton(f"✅ {c}" if c in picker.cells else str(c), picker_data(picker.key, PickerAction.TOGGLE, c))
                for c in cells
            )
        )
    rows.append(
        (
            KeyButton(plain_text(lang, "picker.all"), picker_data(picker.key, PickerAction.ALL)),
            KeyButton(plain_text(lang, "picker.clear"), picker_data(picker.key, PickerAction.CLEAR)),
        )
    )
    rows.append(
        (
            KeyButton(plain_text(lang, "picker.submit"), picker_data(picker.key, PickerAction.SUBMIT)),
            KeyButton(plain_text(lang, "picker.cancel"), picker_data(picker.key, PickerAction.CANCEL)),
        )
    )
    if draw_url:  # the page itself (a web_app button, private chats) or its t.me direct link (groups)
        link = draw_url.startswith("https://t.me/")
        rows.append((KeyButton(plain_text(lang, "picker.draw"), url=draw_url if link else None,
                               web_app=None if link else draw_url),))  # fmt: skip
    return MessageSpec(body=body, photo=overlay, keyboard=tuple(rows), interactive=True)


def cell_list(cells: frozenset[int], lang: str) -> str:
    """Grid cells as a list in the reader's punctuation: 6, 7, 10 or 6、7、10."""
    shown = [str(c) for c in sorted(cells)]
    return reduce(lambda items, item: plain_text(lang, "list.more", items=items, item=item), shown[1:], shown[0]) if shown else ""


def selection(cells: frozenset[int], lang: str) -> str:
    """A picker tap's answer (a toast): what is selected now."""
    if not cells:
        return plain_text(lang, "picker.selected_none")
    return plain_text(lang, "picker.selected", cells=cell_list(cells, lang))

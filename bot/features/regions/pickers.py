"""The pickers' rules: who may change one, what a tap does to it, one change at a time per picker.

State lives in the store (`PickerTable`), so a picker survives restarts. Every change of an open
picker is a conditional write: nothing reopens a closed picker. Changes of one picker are serialised
by a lock from a fixed pool (forged keys cannot grow it).
"""

from __future__ import annotations

import asyncio
import enum
import zlib
from dataclasses import dataclass

from bot.core.callbacks import CELLS, PickerAction, PickerTap
from bot.core.domain import Picker, PickerState, Refused, Requester
from bot.store.pickers import PickerTable

_LOCKS = 64


class Answer(enum.Enum):
    """What a tap on a picker did, for the callback answer."""

    UPDATED = "updated"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"
    EMPTY = "empty"  # submit with nothing selected
    NOT_YOURS = "not_yours"
    CLOSED = "closed"
    REFUSED = "refused"  # the operator's lists or limits say no (see `refused`)


@dataclass(frozen=True)
class Outcome:
    answer: Answer
    owner: Requester | None = None
    refused: Refused | None = None
    cells: frozenset[int] = frozenset()  # the selection after the tap


def toggled(cells: frozenset[int], tap: PickerTap) -> frozenset[int]:
    """The selection after a cell tap, Select all or Clear."""
    if tap.action is PickerAction.ALL:
        return frozenset(range(1, CELLS + 1))
    if tap.action is PickerAction.CLEAR:
        return frozenset()
    if tap.action is PickerAction.TOGGLE and 1 <= tap.cell <= CELLS:
        return cells ^ {tap.cell}
    raise ValueError(f"not a change of the selection: {tap}")


class Pickers:
    def __init__(self, table: PickerTable) -> None:
        self.table = table
        self._locks = tuple(asyncio.Lock() for _ in range(_LOCKS))

    def lock(self, key: str) -> asyncio.Lock:
        return self._locks[zlib.crc32(key.encode()) % len(self._locks)]

    async def editable(self, key: str, user: Requester) -> Picker | Outcome:
        """The open picker `user` may change (call under its lock), or why not. A picker being
        posted again has no message: it takes no taps meanwhile."""
        picker = await self.table.get(key)
        if picker is None or picker.state is not PickerState.OPEN or picker.message_id is None:
            return Outcome(Answer.CLOSED)
        if user.user_id != picker.owner.user_id:
            return Outcome(Answer.NOT_YOURS, picker.owner)
        return picker

    async def close(self, picker: Picker, state: PickerState) -> bool:
        """Close an open picker into `state`; False when it was closed meanwhile."""
        return await self.table.close_if_open(picker.key, state)

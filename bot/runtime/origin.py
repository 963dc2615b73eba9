"""Which Telegram update the current work is handling, carried by a contextvar from the intake
(`bot/telegram/intake.py`) to the store, so that a job records the update that asked for it.

An update handled a second time (its first replica died before marking it done) must not start a
second job: `again()` tells the job layer to look for the job that update already made."""

from __future__ import annotations

from contextvars import ContextVar, Token

_ORIGIN: ContextVar[tuple[int, bool] | None] = ContextVar("update_origin", default=None)


def handling(update_id: int, *, again: bool) -> Token[tuple[int, bool] | None]:
    return _ORIGIN.set((update_id, again))


def done(token: Token[tuple[int, bool] | None]) -> None:
    _ORIGIN.reset(token)


def update_id() -> int | None:
    origin = _ORIGIN.get()
    return origin[0] if origin else None


def again() -> bool:
    origin = _ORIGIN.get()
    return bool(origin and origin[1])

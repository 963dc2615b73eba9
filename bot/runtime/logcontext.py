"""What a log line is about (job, chat, task, trace id), carried through `contextvars` rather than
formatted into each message: a task binds it once, and every line it (and the tasks it starts)
logs carries it. The JSON log format writes these as fields."""

from __future__ import annotations

import logging
from contextvars import Context, ContextVar, Token, copy_context
from typing import Any

FIELDS = ("job_id", "chat_id", "task_id", "trace_id")
_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("log_context", default=None)


def bind(**fields: Any) -> None:
    """Set fields in the current task's context (None clears one)."""
    current = dict(_CONTEXT.get() or {})
    for name, value in fields.items():
        if name in FIELDS:
            if value is None:
                current.pop(name, None)
            else:
                current[name] = value
    _CONTEXT.set(current)


def begin(**fields: Any) -> Token[dict[str, Any] | None]:
    """A fresh context for one piece of work (a job in a long-lived worker): nothing of the
    previous job's is carried over. Give the token back to `end`."""
    return _CONTEXT.set({k: v for k, v in fields.items() if k in FIELDS and v is not None})


def end(token: Token[dict[str, Any] | None]) -> None:
    _CONTEXT.reset(token)


def detached() -> Context:
    """A context for a task shared by many jobs (a chat's sender, the batched tasks-API poll), so
    it does not log on behalf of whichever job happened to start it."""
    context = copy_context()
    context.run(_CONTEXT.set, None)
    return context


class ContextFilter(logging.Filter):
    """Puts the bound fields on every record (absent ones as None), for the formatter to write."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _CONTEXT.get() or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name))
        return True

"""What a log line is about (job, chat, task, trace id), carried through `contextvars` rather than
formatted into each message: a task binds it once, and every line it (and the tasks it starts)
logs carries it. The JSON log format writes these as fields."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

FIELDS = ("job_id", "chat_id", "task_id", "trace_id")
_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("log_context", default=None)


def bind(**fields: Any) -> None:
    """Add fields to the current task's context (None values are left out)."""
    current = dict(_CONTEXT.get() or {})
    current.update({k: v for k, v in fields.items() if k in FIELDS and v is not None})
    _CONTEXT.set(current)


class ContextFilter(logging.Filter):
    """Puts the bound fields on every record (absent ones as None), for the formatter to write."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _CONTEXT.get() or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name))
        return True

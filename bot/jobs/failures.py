"""What the user reads when a job fails, and whether the operator must hear about it.

Pure mapping from the Imagine error tree (or an upstream error code) to a catalogue message (said
in the user's language when the job fails); the mapping is total: any `ImagineError` gets one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.i18n import Msg
from bot.imagine import (
    ConnectionLost,
    GenerationTimeout,
    ImagineAPIError,
    ImagineError,
    InvalidRequest,
    Malformed,
    Misconfigured,
    Moderated,
    QuotaExhausted,
    RateLimited,
    TaskFailed,
)


@dataclass(frozen=True)
class Failure:
    msg: Msg  # what the user reads, in their language
    operator: bool = False  # the operator must fix something (token, endpoint, credit)
    retryable: bool = False  # the same request may well work later: offer a Retry button
    code: str | None = None  # upstream's error code, for the operator's hint
    reason: str = "failed"  # a short key for the operator's statistics ("failures by reason")

    @property
    def text(self) -> str:
        """In English, for the log."""
        return self.msg.text("en")

    def said(self, lang: str) -> str:
        return self.msg.text(lang)

    @property
    def fix(self) -> Msg | None:
        """What the operator should do (never shown to users), or None."""
        key = _HINTS.get(self.code or "")
        return Msg(key) if key else None

    @property
    def hint(self) -> str:
        """The fix in English, for the log."""
        fix = self.fix
        return f" — {fix.text('en')}" if fix else ""


def _failure(key: str, **fields: Any) -> Failure:
    return Failure(Msg(key), **fields)


MISCONFIGURED = Msg("fail.misconfigured")
BUSY = Msg("fail.busy")
DEADLINE = _failure("fail.deadline", retryable=True, reason="deadline")
UNCONFIRMED = _failure("fail.unconfirmed", retryable=True, reason="unconfirmed")
INTERNAL = _failure("fail.internal", retryable=True, reason="internal")

_HINTS: dict[str, str] = {
    "invalid_token": "hint.token",
    "token_expired": "hint.token_expired",
    "no_token": "hint.no_token",
    "token_mismatched": "hint.token_mismatched",
    "api_not_implemented": "hint.endpoint",
    "no_api": "hint.endpoint",
    "used_up": "hint.used_up",
    "disabled": "hint.disabled",
}
BUSY_FAILURE = Failure(BUSY, retryable=True, reason="busy")  # upstream stayed busy through every retry
_TIMEOUT = _failure("fail.timeout", retryable=True, reason="timeout")


_UNRECOGNIZED = re.compile(r"unrecognized argument\(s\):(.*)", re.IGNORECASE | re.DOTALL)
# "Failed to download image https://…", "cannot fetch the image url …": a picture upstream could not get.
_UNFETCHED = re.compile(r"\b(download|fetch|load|get|access|read|reach)\w*\b.{0,40}\bimage", re.IGNORECASE | re.DOTALL)
_URL = re.compile(r"https?://[^\s\"'<>`]+")


def rejected(message: str, links: Sequence[str] = ()) -> Failure:
    """A request Midjourney refused as malformed, in our words: upstream's own text stays in the
    log, except what it quotes back from the user's own prompt (parameter names, a link they typed).
    `links` are the image links the person typed; a picture of theirs the bot hosted is not named."""
    message = message or ""
    found = _UNRECOGNIZED.search(message)
    names = re.findall(r"`([^`\s]{1,40})`", found.group(1))[:5] if found else []
    if names:
        return Failure(Msg("fail.unknown_params", {"names": ", ".join(names)}), reason="rejected")
    if _UNFETCHED.search(message):
        typed = [url.rstrip(".,;:)") for url in _URL.findall(message) if url.rstrip(".,;:)") in links]
        if typed:
            return Failure(Msg("fail.link_unreachable", {"url": typed[0]}), reason="picture")
        return _failure("fail.picture_unreachable", retryable=True, reason="picture")
    return _failure("fail.rejected", reason="rejected")


def for_code(code: str, message: str, links: Sequence[str] = ()) -> Failure:
    """A failure reported inside a task (stream line, callback, tasks API)."""
    return explain(TaskFailed(code, message), links)


def explain(error: ImagineError, links: Sequence[str] = ()) -> Failure:
    """What the person reads. Upstream's codes are classified once, in `bot.imagine.errors`: a
    failed task is explained like the HTTP error its code stands for. `links`: the image links
    the person typed (see `rejected`)."""
    if isinstance(error, TaskFailed):
        if error.code in ("cancelled", "canceled"):
            return _failure("fail.cancelled", retryable=True, reason="cancelled")
        classified = error.classified()
        if classified is None:  # a code we do not know: upstream's words stay in the operator's log
            return _failure("fail.upstream", retryable=True, code=error.code, reason="upstream")
        error = classified
    if isinstance(error, InvalidRequest):
        if error.code == "bad_request":  # the prompt's own fault, e.g. an unknown --parameter
            return rejected(error.message, links)
        return _failure("fail.refused", code=error.code, reason="rejected")
    if isinstance(error, Misconfigured):
        return Failure(MISCONFIGURED, operator=True, code=error.code, reason="misconfigured")
    if isinstance(error, QuotaExhausted):
        if error.code == "disabled":
            return _failure("fail.disabled", operator=True, code="disabled", reason="disabled")
        return _failure("fail.used_up", operator=True, retryable=True, code="used_up", reason="credit")
    if isinstance(error, Moderated):
        return _failure("fail.moderated", reason="moderated")
    if isinstance(error, RateLimited):
        return BUSY_FAILURE
    if isinstance(error, GenerationTimeout):
        return _TIMEOUT
    if isinstance(error, ConnectionLost):
        return _failure("fail.network", retryable=True, reason="network")
    if isinstance(error, Malformed):
        return _failure("fail.unreadable", retryable=True, reason="upstream")
    return _failure("fail.temporary", retryable=True, reason="upstream")


def upstream_detail(error: ImagineError) -> str:
    """Upstream's own words, for the operator's log: class, status and code, message, trace id."""
    parts = [type(error).__name__]
    if isinstance(error, ImagineAPIError):
        parts.append(f"{error.status} {error.code}")
    elif isinstance(error, TaskFailed):
        parts.append(error.code)
    parts.append(f"{error.message!r}")
    if error.task_id:
        parts.append(f"task {error.task_id}")
    parts.append(f"trace_id {error.trace_id}")
    return " ".join(parts)

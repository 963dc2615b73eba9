"""What the user reads when a job fails, and whether the operator must hear about it.

Pure mapping from the Imagine error tree (or an upstream error code) to a short message; the
mapping is total: any `ImagineError` gets a sensible text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.imagine import (
    ConnectionLost,
    GenerationTimeout,
    ImagineAPIError,
    ImagineError,
    InvalidRequest,
    Misconfigured,
    Moderated,
    QuotaExhausted,
    RateLimited,
    TaskFailed,
)

MISCONFIGURED = "Drawing is not available right now. Please tell the bot's admin."
BUSY = "Midjourney is too busy right now. Please try again in a few minutes."


@dataclass(frozen=True)
class Failure:
    text: str
    operator: bool = False  # the operator must fix something (token, endpoint, credit)
    retryable: bool = False  # the same request may well work later: offer a Retry button
    code: str | None = None  # upstream's error code, for the operator's hint
    reason: str = "failed"  # a short key for the operator's statistics ("failures by reason")

    @property
    def hint(self) -> str:
        """What the operator should do, for the log (never shown to users)."""
        fix = _HINTS.get(self.code or "")
        return f" — {fix}" if fix else ""


DEADLINE = Failure("This took too long and was stopped. Please try again.", retryable=True, reason="deadline")
UNCONFIRMED = Failure(
    "Midjourney never confirmed this request, so it was not sent again. Tap Retry to send it.",
    retryable=True,
    reason="unconfirmed",
)
INTERNAL = Failure("Something went wrong inside the bot. Please try again.", retryable=True, reason="internal")

_TOKEN = "check ACEDATA_API_TOKEN: it must be a valid token of AceData's Midjourney Imagine API"
_HINTS: dict[str, str] = {
    "invalid_token": _TOKEN,
    "token_expired": _TOKEN + " (this one has expired)",
    "no_token": _TOKEN + " (none reached AceData)",
    "token_mismatched": "ACEDATA_API_TOKEN belongs to another AceData service: acquire the Midjourney "
    "Imagine API's own token",
    "api_not_implemented": "ACEDATA_API_URL does not serve this endpoint: it should be https://api.acedata.cloud",
    "no_api": "ACEDATA_API_URL does not serve this endpoint: it should be https://api.acedata.cloud",
    "used_up": "the AceData credit is used up: top it up on platform.acedata.cloud",
    "disabled": "the AceData application is disabled: see platform.acedata.cloud",
}
_MISCONFIGURED_CODES = ("invalid_token", "token_expired", "no_token", "token_mismatched", "api_not_implemented",
                        "no_api")  # fmt: skip

_BY_CODE: dict[str, Failure] = {
    "forbidden": Failure("Midjourney's moderation rejected this prompt. Please reword it.", reason="moderated"),
    "used_up": Failure(
        "The bot's Midjourney credit is used up. Please tell the bot's admin, then tap Retry.", operator=True,
        retryable=True, code="used_up", reason="credit",
    ),
    "disabled": Failure(
        "The bot's Midjourney access is disabled. Please tell the bot's admin.", operator=True, code="disabled",
        reason="disabled",
    ),
    **{code: Failure(MISCONFIGURED, operator=True, code=code, reason="misconfigured") for code in _MISCONFIGURED_CODES},
    "timeout": Failure("Midjourney took too long to draw this. Please try again.", retryable=True, reason="timeout"),
    "too_many_requests": Failure(BUSY, retryable=True, reason="busy"),
    "rate_limited": Failure(BUSY, retryable=True, reason="busy"),
}


_UNRECOGNIZED = re.compile(r"unrecognized argument\(s\):(.*)", re.IGNORECASE | re.DOTALL)


def rejected(message: str) -> Failure:
    """A request Midjourney refused as malformed, in our words: upstream's own text stays in the
    log, except the parameter names it quotes back from the user's prompt."""
    found = _UNRECOGNIZED.search(message or "")
    names = re.findall(r"`([^`\s]{1,40})`", found.group(1))[:5] if found else []
    if names:
        return Failure(f"Midjourney does not know these parameters: {', '.join(names)}. Please check the prompt.",
                       reason="rejected")  # fmt: skip
    return Failure("Midjourney could not do this request. Please check the prompt and its --parameters.",
                   reason="rejected")  # fmt: skip


def for_code(code: str, message: str) -> Failure:
    """A failure reported inside a task (stream line, callback, tasks API)."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code == "bad_request":
        return rejected(message)
    if code in ("cancelled", "canceled"):
        return Failure("Midjourney cancelled this task. Please try again.", retryable=True, reason="cancelled")
    # Upstream's words for codes we do not know stay in the operator's log.
    return Failure("Midjourney could not draw this. Please try again.", retryable=True, code=code, reason="upstream")


def explain(error: ImagineError) -> Failure:
    if isinstance(error, TaskFailed):
        return for_code(error.code, error.message)
    if isinstance(error, Misconfigured):
        return Failure(MISCONFIGURED, operator=True, code=error.code, reason="misconfigured")
    if isinstance(error, InvalidRequest):
        if error.code == "bad_request":  # the prompt's own fault, e.g. an unknown --parameter
            return rejected(error.message)
        return Failure("Midjourney refused this request. Please check the prompt and its --parameters.",
                       code=error.code, reason="rejected")  # fmt: skip
    if isinstance(error, QuotaExhausted | Moderated):
        return for_code(error.code, error.message)
    if isinstance(error, RateLimited):
        return Failure(BUSY, retryable=True, reason="busy")
    if isinstance(error, GenerationTimeout):
        return _BY_CODE["timeout"]
    if isinstance(error, ConnectionLost):
        return Failure("Could not reach Midjourney. Please try again in a minute.", retryable=True, reason="network")
    return Failure("Midjourney had a temporary problem. Please try again in a minute.", retryable=True,
                   reason="upstream")  # fmt: skip


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

"""What the user reads when a job fails, and whether the operator must hear about it.

Pure mapping from the Imagine error tree (or an upstream error code) to a short message; the
mapping is total: any `ImagineError` gets a sensible text.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.imagine import (
    BadRequest,
    ImagineError,
    Misconfigured,
    Moderated,
    NetworkError,
    QuotaExhausted,
    RateLimited,
    TaskFailed,
    TimedOut,
)

MISCONFIGURED = "The bot is misconfigured, so it cannot draw right now. Please tell the bot's admin."
BUSY = "Midjourney is too busy right now. Please try again in a few minutes."


@dataclass(frozen=True)
class Failure:
    text: str
    operator: bool = False  # the operator must fix something (token, endpoint, credit)
    retryable: bool = False  # the same request may well work later: offer a Retry button


DEADLINE = Failure("This took too long and was stopped. Please try again.", retryable=True)
INTERRUPTED = Failure(
    "The bot restarted before Midjourney confirmed this request, so it was not sent again.", retryable=True
)
INTERNAL = Failure("Something went wrong inside the bot. Please try again.", retryable=True)

_BY_CODE: dict[str, Failure] = {
    "forbidden": Failure("Midjourney's moderation rejected this prompt. Please reword it."),
    "used_up": Failure("The bot's Midjourney credit is used up. Please tell the bot's admin.", operator=True),
    "disabled": Failure(
        "The bot's Midjourney access is disabled. Please tell the bot's admin.", operator=True
    ),
    "invalid_token": Failure(MISCONFIGURED, operator=True),
    "token_expired": Failure(MISCONFIGURED, operator=True),
    "no_token": Failure(MISCONFIGURED, operator=True),
    "no_api": Failure(MISCONFIGURED, operator=True),
    "timeout": Failure("Midjourney took too long to draw this. Please try again.", retryable=True),
    "too_many_requests": Failure(BUSY, retryable=True),
    "rate_limited": Failure(BUSY, retryable=True),
}


def for_code(code: str, message: str) -> Failure:
    """A failure reported inside a task (stream line, callback, tasks API)."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code == "bad_request":
        return Failure(f"Midjourney could not do this: {message or 'bad request'}")
    return Failure(f"Midjourney failed ({code}): {message}" if message else f"Midjourney failed ({code}).")


def explain(error: ImagineError) -> Failure:
    if isinstance(error, TaskFailed):
        return for_code(error.code, error.message)
    if isinstance(error, Misconfigured):
        return Failure(MISCONFIGURED, operator=True)
    if isinstance(error, BadRequest):
        return Failure(f"Midjourney could not do this: {error.message}")
    if isinstance(error, QuotaExhausted | Moderated):
        return for_code(error.code, error.message)
    if isinstance(error, RateLimited):
        return Failure(BUSY, retryable=True)
    if isinstance(error, TimedOut):
        return _BY_CODE["timeout"]
    if isinstance(error, NetworkError):
        return Failure("Could not reach Midjourney. Please try again in a minute.", retryable=True)
    return Failure("Midjourney had a temporary problem. Please try again in a minute.", retryable=True)

"""AceData Midjourney Imagine API client. Knows nothing about Telegram."""

from bot.imagine.client import TASKS_LIMIT, ImagineClient
from bot.imagine.errors import (
    BadRequest,
    ImagineAPIError,
    ImagineError,
    Misconfigured,
    Moderated,
    NetworkError,
    NotSent,
    QuotaExhausted,
    RateLimited,
    StreamBroken,
    TaskFailed,
    TimedOut,
    Unavailable,
)
from bot.imagine.models import Accepted, ImagineRequest, ImagineResult, Submitted, TaskRecord

__all__ = [
    "TASKS_LIMIT",
    "Accepted",
    "BadRequest",
    "ImagineAPIError",
    "ImagineClient",
    "ImagineError",
    "ImagineRequest",
    "ImagineResult",
    "Misconfigured",
    "Moderated",
    "NetworkError",
    "NotSent",
    "QuotaExhausted",
    "RateLimited",
    "StreamBroken",
    "Submitted",
    "TaskFailed",
    "TaskRecord",
    "TimedOut",
    "Unavailable",
]

"""AceData Midjourney Imagine API client. Knows nothing about Telegram."""

from bot.imagine.client import ImagineClient
from bot.imagine.errors import (
    BadRequest,
    ImagineAPIError,
    ImagineError,
    Misconfigured,
    Moderated,
    NetworkError,
    QuotaExhausted,
    RateLimited,
    StreamBroken,
    TaskFailed,
    TimedOut,
    Unavailable,
)
from bot.imagine.models import ImagineRequest, ImagineResult, TaskRecord

__all__ = [
    "BadRequest",
    "ImagineAPIError",
    "ImagineClient",
    "ImagineError",
    "ImagineRequest",
    "ImagineResult",
    "Misconfigured",
    "Moderated",
    "NetworkError",
    "QuotaExhausted",
    "RateLimited",
    "StreamBroken",
    "TaskFailed",
    "TaskRecord",
    "TimedOut",
    "Unavailable",
]

"""AceData Midjourney Imagine API client. Knows nothing about Telegram."""

from bot.imagine.client import TASKS_LIMIT, ImagineClient
from bot.imagine.errors import (
    ConnectionLost,
    GenerationTimeout,
    ImagineAPIError,
    ImagineError,
    InvalidRequest,
    Malformed,
    Misconfigured,
    Moderated,
    NotSent,
    QuotaExhausted,
    RateLimited,
    StreamBroken,
    TaskFailed,
    Unavailable,
)
from bot.imagine.models import Accepted, ImagineRequest, ImagineResult, Submitted, TaskRecord

__all__ = [
    "TASKS_LIMIT",
    "Accepted",
    "ConnectionLost",
    "GenerationTimeout",
    "ImagineAPIError",
    "ImagineClient",
    "ImagineError",
    "ImagineRequest",
    "ImagineResult",
    "InvalidRequest",
    "Malformed",
    "Misconfigured",
    "Moderated",
    "NotSent",
    "QuotaExhausted",
    "RateLimited",
    "StreamBroken",
    "Submitted",
    "TaskFailed",
    "TaskRecord",
    "Unavailable",
]

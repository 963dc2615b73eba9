"""The job layer: one job from admission to its picture or its explained failure.

service.py  JobService: the entry points (imagine, actions, retry, callbacks, resume)
queue.py    waiting jobs, workers, upstream concurrency and queue positions
runner.py   one job upstream: submit (stream or callback), retries, hand-off when the answer breaks
follow.py   known tasks followed by callback or tasks API; lost ones looked for, never resent
results.py  what upstream said, applied: progress, the picture and its buttons, failures
ports.py    what the layer needs from outside (Notifier, PictureHost) and its settings
"""

from bot.jobs.ports import REGION_ACTION, RETRY_ACTION, CallbackAnswer, JobConfig, Notifier, PictureHost
from bot.jobs.service import JobService

__all__ = [
    "REGION_ACTION",
    "RETRY_ACTION",
    "CallbackAnswer",
    "JobConfig",
    "JobService",
    "Notifier",
    "PictureHost",
]

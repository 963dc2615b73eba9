"""The job layer: one job from admission to its picture or its explained failure.

service.py   JobService: the entry points (imagine, actions, retry, cancel, callbacks, resume)
queue.py     waiting jobs, workers, upstream concurrency and queue positions
messages.py  each job's one message, sent while the job already runs
runner.py    one job upstream: translation, submit (stream or callback), retries, hand-off
follow.py    known tasks followed by callback or tasks API; lost ones looked for, never resent
tracking.py  batched tasks-API polls; finding a task whose id never came back
results.py   what upstream said, applied: progress, the picture and its buttons, failures
failures.py  what a failure tells the user, from the Imagine error tree
ports.py     what the layer needs from outside (Notifier, Display, PictureHost, Admission, Alarms)

Layers above import this package, not its modules.
"""

from bot.jobs.ports import (
    REGION_ACTION,
    RETRY_ACTION,
    Admission,
    Alarms,
    CallbackAnswer,
    Display,
    JobConfig,
    Notifier,
    PictureHost,
)
from bot.jobs.service import AS_USUAL, Cancelled, JobService

__all__ = [
    "AS_USUAL",
    "REGION_ACTION",
    "RETRY_ACTION",
    "Admission",
    "Alarms",
    "CallbackAnswer",
    "Cancelled",
    "Display",
    "JobConfig",
    "JobService",
    "Notifier",
    "PictureHost",
]

"""What the job layer needs from outside (the chat, picture hosting) and its settings. No I/O."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.domain import Button, Image, JobView, Picture, Refused
from bot.jobs.failures import Failure
from bot.render.spec import MessageSpec

REGION_ACTION = "variation_region"
RETRY_ACTION = "retry"


class Notifier(Protocol):
    """How jobs reach the chat. Implemented by `bot.telegram.notifier.TelegramNotifier`."""

    async def create(self, view: JobView) -> int: ...

    def update(self, view: JobView) -> bool:
        """Show the job's newest state soon (older pending states are dropped). A job whose first
        message still waits for the chat's pacing (no message id yet) has that message show it:
        False when it is already on its way and cannot change any more."""
        ...

    async def finish(self, view: JobView) -> int: ...

    def show_buttons(self, image: Image, buttons: tuple[Button, ...]) -> None: ...


class Admission(Protocol):
    """Who may start a job, and how much (implemented by `bot.features.access.Access`)."""

    async def check(self, user_id: int, chat_id: int) -> Refused | None: ...


class Alarms(Protocol):
    """What the operator must hear of (implemented by `bot.features.alerts.Alerts`)."""

    def failure(self, failure: Failure) -> None: ...

    def upstream_failed(self) -> None: ...

    def upstream_ok(self) -> None: ...


class Display(Protocol):
    """Messages that are not a job's (pickers, panels, suggestions): implemented by the notifier."""

    async def post(self, chat_id: int, spec: MessageSpec, reply_to: int | None = None) -> int: ...

    def show(self, chat_id: int, message_id: int, spec: MessageSpec, reply_to: int | None = None) -> None: ...


class PictureHost(Protocol):
    """Turns a user's picture into a public URL (implemented by `bot.media.hosting.MediaService`)."""

    async def url_for(self, picture: Picture) -> str: ...


@dataclass(frozen=True)
class JobConfig:
    concurrency: int = 5
    submit_interval: float = 1.0
    deadline: float = 600.0
    poll_interval: float = 3.0
    poll_interval_max: float = 15.0
    busy_retries: int = 6
    busy_backoff: float = 5.0
    unavailable_backoff: float = 2.0  # wait before the one retry after a 5xx
    position_refresh: float = 1.0
    callback_base: str | None = None  # {PUBLIC_URL}/acedata when AceData callbacks are on
    allow_private_urls: bool = False  # callbacks' result URLs may be http or private (the test fakes)
    lease: float = 30.0  # a replica's hold on its jobs (shared database): taken over after this
    # The wall clock of deadlines and of the started/finished stamps kept with jobs (they outlive a
    # restart, so they are wall-clock times); tests hand in one that follows a fake event-loop clock.
    clock: Callable[[], float] = time.time

    @property
    def upstream_timeout(self) -> int:
        """The `timeout` sent upstream: it gives up a little before our own deadline, so the user
        reads upstream's clean "took too long" rather than an abandoned request."""
        return max(1, int(self.deadline * 0.9))


class CallbackAnswer(enum.IntEnum):
    """The HTTP status a POST to a job's callback URL gets."""

    OK = 200
    UNREADABLE = 400  # the job exists but the body is not a result: logged with its trace id
    UNKNOWN = 404  # no such secret, a finished job, or another task's result

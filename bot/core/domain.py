"""Plain data the job layer, the store and the renderer share. No I/O, no Telegram."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class JobState(enum.StrEnum):
    QUEUED = "queued"  # waiting for a free upstream slot
    SUBMITTING = "submitting"  # request sent, no task_id yet
    RUNNING = "running"  # task_id known, progress arriving
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # sent, but its task was never confirmed or found upstream
    CANCELLED = "cancelled"  # its owner cancelled it while it waited: never submitted

    @property
    def finished(self) -> bool:
        return self in {JobState.DONE, JobState.FAILED, JobState.INTERRUPTED, JobState.CANCELLED}


@dataclass(frozen=True)
class Picture:
    """A picture a user gave: a Telegram file (hosted before use), or a URL that is already public."""

    file_id: str | None = None
    file_unique_id: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Requester:
    """Who asked, as the chat shows them; `username` without the @; `lang` is the language their
    messages are written in ("en" or "zh")."""

    user_id: int
    first_name: str
    username: str | None = None
    lang: str = "en"


@dataclass(frozen=True)
class Wishes:
    """How a person wants their jobs run, from their /settings (a prompt's own --fast/--relax wins)."""

    mode: str | None = None  # fast | relax | turbo; None: upstream's default (fast)
    translate: bool = True  # send Chinese (Japanese, Korean) prompts with `translation: true`
    notify: bool = False  # the result comes as a new message (Telegram notifies), not as an edit


@dataclass
class Job:
    id: int
    chat_id: int
    chat_type: str
    requester: Requester
    prompt: str  # what the user typed, shown in captions
    upstream_prompt: str | None  # what is sent (image URLs + text); None until `sources` are hosted
    action: str = "generate"
    parent_image_id: str | None = None
    mode: str | None = None
    mask: str | None = None
    reply_to: int | None = None
    message_id: int | None = None
    button_key: str | None = None
    state: JobState = JobState.QUEUED
    task_id: str | None = None
    progress: int = 0
    preview_url: str | None = None
    error: str | None = None
    result_image_id: str | None = None
    attempts: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    started_at: float | None = None
    sources: tuple[Picture, ...] = ()  # pictures for an image prompt or blend, in order
    callback_secret: str | None = None  # path secret of this job's AceData callback URL
    trace_id: str | None = None  # upstream's trace id for the last submit (finds a task whose id never came)
    translate: bool = True  # CJK text goes with `translation: true`
    notify: bool = False  # deliver the result as a new message

    @property
    def title(self) -> str:
        """The prompt as people see it, in any language; pictures are counted, not linked."""
        if not self.sources:
            return self.prompt
        pictures = f"🖼×{len(self.sources)}"
        return f"{pictures} {self.prompt}" if self.prompt else pictures

    @property
    def links(self) -> tuple[str, ...]:
        """The image links the person typed (pictures they sent are hosted by the bot: not named)."""
        return tuple(p.url for p in self.sources if p.url and not p.file_id)


@dataclass(frozen=True)
class Image:
    """A finished result that can take actions."""

    image_id: str
    task_id: str | None
    image_url: str
    raw_image_url: str | None = None
    image_width: int | None = None
    image_height: int | None = None
    raw_image_width: int | None = None
    raw_image_height: int | None = None
    actions: tuple[str, ...] = ()
    is_grid: bool = True
    prompt: str = ""
    chat_id: int | None = None
    message_id: int | None = None
    lang: str = "en"  # of the message that shows it


@dataclass(frozen=True)
class Button:
    """A tappable action on an image; `key` is what Telegram carries in callback_data."""

    key: str
    image_id: str
    action: str
    chat_id: int
    message_id: int
    pressed: bool = False
    job_id: int | None = None  # for a Retry button: the job it re-queues


@dataclass(frozen=True)
class JobView:
    """Everything needed to draw a job's message at one moment."""

    job: Job
    image: Image | None = None
    buttons: tuple[Button, ...] = ()
    position: int | None = None  # place in the local queue, 1-based


class PanelKind(enum.StrEnum):
    """A message of buttons that belongs to one person, kept with its key (`bot.store.panels`)."""

    SETTINGS = "settings"
    DESCRIBE = "describe"
    SHORTEN = "shorten"


class PickerState(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"  # its cells went as a mask
    PAINTED = "painted"  # a Draw mask painting went
    CANCELLED = "cancelled"  # by its owner
    EXPIRED = "expired"  # nobody touched it for a while


@dataclass(frozen=True)
class Picker:
    """A Vary (Region) selection in progress: which grid cells of an image to repaint."""

    key: str
    chat_id: int
    image_id: str
    owner: Requester
    message_id: int | None = None
    reply_to: int | None = None
    cells: frozenset[int] = frozenset()
    prompt: str | None = None
    state: PickerState = PickerState.OPEN


class Refusal(enum.Enum):
    NOT_ALLOWED = "not_allowed"  # not on the lists here (or denied)
    TOO_MANY = "too_many"  # too many jobs in progress at once
    USER_DAILY = "user_daily"  # the user's daily limit is used up
    CHAT_DAILY = "chat_daily"  # the chat's daily limit is used up
    BUSY = "busy"  # that button's job is still running
    ADMINS_ONLY = "admins_only"  # an admin command from someone who may use the bot but is no admin


@dataclass(frozen=True)
class Refused:
    why: Refusal
    limit: int = 0
    resets_at: datetime | None = None  # when a daily limit starts again, in the operator's zone


@dataclass(frozen=True)
class Allowance:
    """A person's usage today and the limits that apply (0: none), as /info reports it."""

    used: int
    limit: int
    chat_used: int | None  # in a group: the chat's count today
    chat_limit: int
    active_limit: int
    resets_at: datetime

"""Typed shapes of what the Imagine API sends and receives.

Upstream adds fields over time and its types are looser than its examples (AceData's own reference:
`progress` may be fractional, `actions` null, `error` a bare string), so unknown fields are ignored,
loose values are coerced, and everything but `progress` may be missing; the job layer decides what a
missing field means.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

GRID_ACTIONS = frozenset(
    {
        "upscale1",
        "upscale2",
        "upscale3",
        "upscale4",
        "reroll",
        "variation1",
        "variation2",
        "variation3",
        "variation4",
    }
)
FAILED_STATES = frozenset({"failed", "error", "cancelled", "canceled"})
_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ErrorBody(_Lenient):
    code: str = "unknown"
    message: str = ""

    @classmethod
    def of(cls, value: Any) -> ErrorBody | None:
        """Upstream's `error`, whatever its shape: an object, a bare string, or nothing."""
        if value is None or value == "" or value is False:
            return None
        if isinstance(value, ErrorBody):
            return value
        if isinstance(value, dict):
            return cls(code=str(value.get("code") or "unknown"), message=str(value.get("message") or ""))
        text = str(value)
        return cls(code=text if _CODE.fullmatch(text) else "unknown", message=text)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class ImagineResult(_Lenient):
    """One result: the JSON response, one ndjson line, a callback body, or a task's `response`."""

    success: bool = True
    task_id: str | None = None
    trace_id: str | None = None
    image_id: str | None = None
    progress: int = 0
    image_url: str | None = None
    image_width: int | None = None
    image_height: int | None = None
    raw_image_url: str | None = None
    raw_image_width: int | None = None
    raw_image_height: int | None = None
    actions: list[str] = Field(default_factory=list)
    error: ErrorBody | None = None

    @field_validator("task_id", "trace_id", "image_id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str | None:
        return _text(value)  # ids are sometimes numbers (image ids are Discord snowflakes)

    @field_validator("progress", mode="before")
    @classmethod
    def _progress(cls, value: Any) -> int:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return 0
        return 0 if math.isnan(number) else max(0, min(100, math.floor(number)))

    @field_validator("image_width", "image_height", "raw_image_width", "raw_image_height", mode="before")
    @classmethod
    def _size(cls, value: Any) -> int | None:
        try:
            return int(float(value)) if value is not None else None
        except (TypeError, ValueError):
            return None

    @field_validator("actions", mode="before")
    @classmethod
    def _actions(cls, value: Any) -> list[str]:
        if not isinstance(value, list):
            return []
        return [str(action) for action in value if action]

    @field_validator("error", mode="before")
    @classmethod
    def _error(cls, value: Any) -> ErrorBody | None:
        return ErrorBody.of(value)

    @property
    def failed(self) -> bool:
        return not self.success or self.error is not None

    @property
    def is_final(self) -> bool:
        """Finished with a usable image: only the final line's image can take actions."""
        return not self.failed and self.progress >= 100 and bool(self.image_url)

    @property
    def is_grid(self) -> bool:
        return bool(GRID_ACTIONS.intersection(self.actions))


class ImagineRequest(_Lenient):
    """The body of `POST /midjourney/imagine`; `None` fields are not sent."""

    prompt: str | None = None
    action: str = "generate"
    image_id: str | None = None
    mask: str | None = None
    mode: str | None = None
    translation: bool | None = None
    timeout: int | None = None
    callback_url: str | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)

    def matches(self, sent: dict[str, Any]) -> bool:
        """Whether a task's recorded `request` is this request (how a task whose id never came
        back is recognised among the account's recent tasks). The mask and the callback URL are
        not compared: upstream may leave them out of the record."""
        mine = self.body()
        return all(
            str(sent.get(name) or "") == str(mine.get(name) or "")
            for name in ("prompt", "image_id", "mode")
        ) and str(sent.get("action") or "generate") == self.action


class TaskRecord(_Lenient):
    """An entry of the tasks API: what a restarted bot learns about a job it submitted earlier."""

    id: str
    trace_id: str | None = None
    state: str | None = None
    created_at: float | None = None
    request: dict[str, Any] | None = None
    response: ImagineResult | None = None

    @field_validator("id", "trace_id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str | None:
        return _text(value)

    @field_validator("created_at", mode="before")
    @classmethod
    def _time(cls, value: Any) -> float | None:
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None  # an ISO date or anything else: unknown

    @field_validator("request", mode="before")
    @classmethod
    def _request(cls, value: Any) -> dict[str, Any] | None:
        return value if isinstance(value, dict) else None

    @field_validator("response", mode="before")
    @classmethod
    def _response(cls, value: Any) -> Any:
        return value if isinstance(value, dict) and value else None

    @property
    def failed(self) -> bool:
        """AceData's own tools treat these states, or `success: false`, as a failed task."""
        if (self.state or "").lower() in FAILED_STATES:
            return True
        return self.response is not None and self.response.failed

    def outcome(self) -> ImagineResult | None:
        """The task's latest result as one `ImagineResult` (a failure when the state says so);
        None while nothing is known yet."""
        response = self.response
        if self.failed and (response is None or not response.failed):  # the state says so
            state = (self.state or "failed").lower()
            error = ErrorBody(code=state, message=f"the task ended as {state}")
            response = ImagineResult(success=False, error=error)
        if response is None:
            return None
        return response.model_copy(
            update={"task_id": response.task_id or self.id, "trace_id": response.trace_id or self.trace_id}
        )


@dataclass(frozen=True)
class Accepted:
    """The submit's HTTP answer began (headers arrived); upstream's trace id when it sent one.
    A stream yields this first: the task may still sit silent in Midjourney's queue for minutes."""

    trace_id: str | None = None


@dataclass(frozen=True)
class Submitted:
    """A task started without waiting for it (callback mode)."""

    task_id: str
    trace_id: str | None = None


_MARK = re.compile(r"^\s*(?:[0-9]\ufe0f?\u20e3|[0-9]{1,2}\s*[.)、:：])\s*")


def prompt_list(value: object) -> list[str]:
    """Prompts from a describe or shorten answer, whatever its shape: a list of strings (or of
    objects with a prompt), or one text with a line per prompt; numbering marks stripped."""
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, list):
        return []
    found: list[str] = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("prompt") or item.get("content") or item.get("text")
        if isinstance(item, str) and (cleaned := _MARK.sub("", item).strip()) and cleaned[:2000] not in found:
            found.append(cleaned[:2000])
    return found[:8]

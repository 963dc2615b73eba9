"""Typed shapes of what the Imagine API sends and receives.

Upstream adds fields over time, so unknown fields are ignored and everything but `progress` may be
missing; the job layer decides what a missing field means.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ErrorBody(_Lenient):
    code: str = "unknown"
    message: str = ""


class ImagineResult(_Lenient):
    """One result: the JSON response, one ndjson line, a callback body, or a task's `response`."""

    success: bool = True
    task_id: str | None = None
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

    @property
    def is_final(self) -> bool:
        """Finished with a usable image: only the final line's image can take actions."""
        return self.success and self.error is None and self.progress >= 100 and bool(self.image_url)

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
    callback_url: str | None = None
    timeout: int | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class TaskRecord(_Lenient):
    """An entry of the tasks API: what a restarted bot learns about a job it submitted earlier."""

    id: str
    response: ImagineResult | None = None

    @property
    def finished(self) -> bool:
        return self.response is not None and (self.response.is_final or self.response.error is not None)

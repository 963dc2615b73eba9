"""What a tap on a result's button means: one service, one answer.

A key we never issued (or from another chat) is UNKNOWN. Vary (Region) opens a picker; Retry sends
a failed job again; any other action starts a job unless that button's job is still running or the
user has too many jobs in progress. Whoever taps owns the new job.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.domain import Button, Requester
from bot.jobs import REGION_ACTION, RETRY_ACTION, JobService
from bot.regions import RegionService
from bot.store import Store


class Pressed(enum.Enum):
    STARTED = "started"
    PICK_REGION = "pick_region"  # Vary (Region): a picker was opened
    BUSY = "busy"  # that button's job is still running (or a Retry of a job that has not failed)
    LIMIT = "limit"  # the user has too many jobs in progress
    UNKNOWN = "unknown"  # not a key we issued (or from another chat)


@dataclass(frozen=True)
class PressOutcome:
    result: Pressed
    button: Button | None = None


class ButtonService:
    def __init__(self, store: Store, jobs: JobService, regions: RegionService) -> None:
        self._store = store
        self._jobs = jobs
        self._regions = regions

    async def press(self, key: str, *, chat_id: int, chat_type: str, requester: Requester) -> PressOutcome:
        button = await self._store.get_button(key)
        if button is None or button.chat_id != chat_id:
            return PressOutcome(Pressed.UNKNOWN)
        if button.action == REGION_ACTION:
            await self._regions.open(button, requester)
            return PressOutcome(Pressed.PICK_REGION, button)
        if button.action == RETRY_ACTION:
            started = await self._jobs.retry(button.job_id or 0)
            return PressOutcome(Pressed.STARTED if started else Pressed.BUSY, button)
        async with self._jobs.admitting:
            if await self._store.active_job_for_button(key) is not None:
                return PressOutcome(Pressed.BUSY, button)
            if await self._jobs.over_limit(requester.user_id):
                return PressOutcome(Pressed.LIMIT, button)
            image = await self._store.get_image(button.image_id)
            if image is None:
                return PressOutcome(Pressed.UNKNOWN)
            await self._jobs.start_action(
                image, button.action, chat_id=chat_id, chat_type=chat_type, requester=requester,
                reply_to=button.message_id, button_key=key,
            )  # fmt: skip
            await self._store.mark_pressed(key)
        await self._jobs.refresh_buttons(image)
        return PressOutcome(Pressed.STARTED, button)

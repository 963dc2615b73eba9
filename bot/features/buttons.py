"""What a tap on a result's button means: one service, one answer.

A key we never issued (or from another chat) is UNKNOWN. Vary (Region) opens a picker; Retry sends
a failed job again; any other action starts a job unless that button's job is still running. Every
job passes the one admission check (`bot.features.access`); whoever taps owns the new job.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.core.domain import Button, Job, Refusal, Refused, Requester, Wishes
from bot.features.access import Access
from bot.features.regions import RegionService
from bot.jobs import AS_USUAL, REGION_ACTION, RETRY_ACTION, JobService
from bot.store import Store


class Pressed(enum.Enum):
    STARTED = "started"
    PICK_REGION = "pick_region"  # Vary (Region): a picker was opened
    PICKER_BACK = "picker_back"  # Vary (Region) again: the person's open picker was brought back
    BUSY = "busy"  # that button's job is still running (or a Retry of a job that has not failed)
    REFUSED = "refused"  # the operator's lists or limits say no (see `refused`)
    UNKNOWN = "unknown"  # not a key we issued (or from another chat)


@dataclass(frozen=True)
class PressOutcome:
    result: Pressed
    button: Button | None = None
    refused: Refused | None = None


class ButtonService:
    def __init__(self, store: Store, jobs: JobService, regions: RegionService, access: Access | None = None) -> None:
        self._store = store
        self._jobs = jobs
        self._regions = regions
        self._access = access

    async def press(
        self, key: str, *, chat_id: int, chat_type: str, requester: Requester, wishes: Wishes = AS_USUAL
    ) -> PressOutcome:
        button = await self._store.get_button(key)
        if button is None or button.chat_id != chat_id:
            return PressOutcome(Pressed.UNKNOWN)
        if button.action == REGION_ACTION:  # a picker spends nothing, but only for whom its submit would
            refused = await self._access.check(requester.user_id, chat_id) if self._access is not None else None
            if refused is not None:
                return PressOutcome(Pressed.REFUSED, button, refused)
            again = await self._regions.open(button, requester)
            return PressOutcome(Pressed.PICKER_BACK if again else Pressed.PICK_REGION, button)
        if button.action == RETRY_ACTION:
            return self._outcome(button, await self._jobs.retry(button.job_id or 0, requester, wishes))
        image = await self._store.get_image(button.image_id)
        if image is None:
            return PressOutcome(Pressed.UNKNOWN)
        started = await self._jobs.start_action(
            image, button.action, chat_id=chat_id, chat_type=chat_type, requester=requester,
            reply_to=button.message_id, button_key=key, wishes=wishes,
        )  # fmt: skip
        if not isinstance(started, Refused):
            await self._jobs.refresh_buttons(image)
        return self._outcome(button, started)

    @staticmethod
    def _outcome(button: Button, started: Job | Refused) -> PressOutcome:
        if not isinstance(started, Refused):
            return PressOutcome(Pressed.STARTED, button)
        if started.why is Refusal.BUSY:
            return PressOutcome(Pressed.BUSY, button)
        return PressOutcome(Pressed.REFUSED, button, started)

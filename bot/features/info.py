"""/info: a person's running and waiting jobs with their places in line, today's usage and limits,
and their settings, rendered in their language."""

from __future__ import annotations

from bot.core.domain import Requester
from bot.core.profile import Profile
from bot.features.access import Access
from bot.jobs import JobService
from bot.render.info import info
from bot.store import Store


class Info:
    def __init__(self, store: Store, jobs: JobService, access: Access) -> None:
        self._store = store
        self._jobs = jobs
        self._access = access

    async def of(self, user: Requester, profile: Profile, chat_id: int) -> str:
        """HTML. In a group, the group's usage too; jobs of other chats are counted, not named."""
        jobs = await self._store.jobs_in_progress_of(user.user_id)
        usage = await self._access.today(user.user_id, chat_id if chat_id < 0 else None)
        positions = {job.id: self._jobs.position_of(job.id) for job in jobs}
        return info(user, jobs, usage, profile, chat_id, positions)

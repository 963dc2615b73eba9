"""/settings: a panel of buttons in a private chat that changes its owner's profile, kept with its
key in the store (`PanelTable`), so its buttons work after a restart. Only its owner changes it."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, replace

from bot.core.callbacks import SettingTap
from bot.core.domain import PanelKind, Requester
from bot.core.profile import Profile, change
from bot.features.profiles import Profiles
from bot.jobs import Display
from bot.render.settings import settings_panel
from bot.runtime.tasks import TaskSet
from bot.store import Store

log = logging.getLogger(__name__)


class Tapped(enum.Enum):
    SAVED = "saved"
    NOT_YOURS = "not_yours"
    EXPIRED = "expired"  # not a panel of this chat, or a value we never offered


@dataclass(frozen=True)
class SettingOutcome:
    tapped: Tapped
    owner: Requester | None = None  # whose panel it is (NOT_YOURS)
    lang: str = "en"  # the tapper's language after the change (it may be the change)


class SettingsPanels:
    def __init__(self, store: Store, profiles: Profiles, display: Display) -> None:
        self._store = store
        self._profiles = profiles
        self._display = display
        self._tasks = TaskSet()

    async def open(self, chat_id: int, owner: Requester, profile: Profile, reply_to: int | None) -> None:
        """Post the owner's panel (in the background) and remember where it is."""
        panel = await self._store.panels.create(PanelKind.SETTINGS, chat_id, owner)
        spec = settings_panel(panel.key, owner, profile, private=chat_id > 0)

        async def send() -> None:
            try:
                message_id = await self._display.post(chat_id, spec, reply_to)
            except Exception:
                log.exception("could not send a settings panel to chat %s", chat_id)
                return
            await self._store.panels.placed(panel.key, message_id)

        self._tasks.spawn(send(), name=f"panel-{panel.key}")

    async def tap(self, tap: SettingTap, chat_id: int, user: Requester) -> SettingOutcome:
        panel = await self._store.panels.get(tap.key)
        if panel is None or panel.chat_id != chat_id or panel.kind is not PanelKind.SETTINGS or panel.message_id is None:
            return SettingOutcome(Tapped.EXPIRED, lang=user.lang)
        if panel.owner.user_id != user.user_id:
            return SettingOutcome(Tapped.NOT_YOURS, panel.owner, user.lang)
        profile = await self._profiles.get(user.user_id)  # as it is now (two quick taps flip twice)
        changes = change(profile, tap)
        if changes is None:
            return SettingOutcome(Tapped.EXPIRED, lang=user.lang)
        profile = await self._profiles.update(user.user_id, **changes)
        user = replace(user, lang=profile.lang or user.lang)
        self._display.show(chat_id, panel.message_id, settings_panel(tap.key, user, profile, private=chat_id > 0))
        return SettingOutcome(Tapped.SAVED, lang=user.lang)

    async def aclose(self) -> None:
        await self._tasks.close()

"""Each person's profile (`bot.core.profile`), kept in SQLite and cached here (a few hundred bytes
each): read, changed, and who a Telegram user is in the bot's eyes (name, language)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

from bot.core.domain import Requester
from bot.core.profile import Profile
from bot.i18n import LANGUAGES
from bot.store import Store

_CACHED = 5000


class Profiles:
    """Read and change profiles; every read after the first comes from memory (with replicas, each
    read asks the database: another replica may have changed the profile)."""

    def __init__(self, store: Store, default_lang: str = "en") -> None:
        self._store = store
        self.default_lang = default_lang if default_lang in LANGUAGES else "en"
        self._cache: OrderedDict[int, Profile] = OrderedDict()
        self._cached = not store.shared

    async def get(self, user_id: int) -> Profile:
        profile = self._cache.get(user_id) if self._cached else None
        if profile is None:
            row = await self._store.profiles.get(user_id)
            profile = Profile(user_id, **row) if row else Profile(user_id)
            self._cache[user_id] = profile
            while len(self._cache) > _CACHED:
                self._cache.popitem(last=False)
        self._cache.move_to_end(user_id)
        return profile

    async def update(self, user_id: int, **changes: Any) -> Profile:
        profile = replace(await self.get(user_id), **changes)
        fields = {k: getattr(profile, k) for k in _FIELDS}
        await self._store.profiles.save(user_id, fields)
        self._cache[user_id] = profile
        return profile

    async def requester(
        self, user_id: int, first_name: str, username: str | None, telegram_lang: str | None
    ) -> tuple[Requester, Profile]:
        """Who is asking, with the language their messages are written in, and their profile."""
        profile = await self.get(user_id)
        lang = profile.language(telegram_lang, self.default_lang)
        return Requester(user_id, first_name, username, lang), profile


_FIELDS = ("lang", "speed", "version", "ar", "stylize", "raw", "translate", "notify", "suffix")

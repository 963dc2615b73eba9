"""What the operator is told in Telegram, not only in the log: the credit used up, the token or
endpoint rejected, AceData failing for minutes. Each kind of alert goes out once per `cooldown`,
to `ADMIN_CHAT_ID`, or else to every admin privately, so a hundred failing jobs make one alert."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.i18n import html
from bot.jobs.failures import Failure

log = logging.getLogger(__name__)
Tell = Callable[[int, str], None]  # (chat id, HTML text): fire and forget


class Alerts:
    def __init__(
        self,
        tell: Tell,
        recipients: tuple[int, ...],
        *,
        cooldown: float = 3600.0,
        down_after: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        lang: str = "en",
    ) -> None:
        self._tell = tell
        self._lang = lang
        self._recipients = recipients
        self._cooldown = cooldown
        self._down_after = down_after
        self._clock = clock
        self._sent: dict[str, float] = {}
        self._failing_since: float | None = None
        self._last_failure = 0.0
        self._down_told = False

    def failure(self, failure: Failure) -> None:
        """A job failed for a reason the operator must fix (credit, token, endpoint)."""
        if failure.operator:
            what = (failure.fix or failure.msg).text(self._lang)
            self._send(f"failure:{failure.code or failure.reason}", html(self._lang, "alert.failing", what=what))

    def upstream_failed(self) -> None:
        """An answer from AceData was an error or did not come; alert once it has lasted."""
        now = self._clock()
        if self._failing_since is None or now - self._last_failure > self._down_after:
            self._failing_since, self._down_told = now, False  # isolated failures far apart: no outage
        self._last_failure = now
        if not self._down_told and now - self._failing_since >= self._down_after:
            self._down_told = True
            minutes = round((now - self._failing_since) / 60)
            self._send("down", html(self._lang, "alert.down", minutes=minutes))

    def upstream_ok(self) -> None:
        if self._down_told:
            self._send("up", html(self._lang, "alert.up"), cooldown=False)
        self._failing_since, self._down_told = None, False

    def _send(self, kind: str, text: str, *, cooldown: bool = True) -> None:
        now = self._clock()
        last = self._sent.get(kind)
        if cooldown and last is not None and now - last < self._cooldown:
            return
        self._sent[kind] = now
        log.warning("operator alert: %s", text)
        for chat_id in self._recipients:
            self._tell(chat_id, text)

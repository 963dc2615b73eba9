"""/describe and /shorten: Midjourney suggests prompts, the chat shows them with a button each,
and a tap starts `/imagine` with that prompt.

The request runs in the background (a handler only queues it): a "working…" reply comes first and
is edited into the prompts, or into a short reason in the reader's language (upstream's own words
go to the log with their trace id). The picture is given to /describe as a public URL made the same
way as for image prompts (`PictureHost`), so it never carries the bot token. The suggested prompts
are kept in SQLite with the message (a "panel"), so the buttons keep working after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.core.callbacks import SuggestionTap
from bot.core.domain import Job, PanelKind, Picture, Refusal, Refused, Requester
from bot.core.profile import Profile, with_defaults
from bot.core.prompt import PromptError, parse_prompt
from bot.features.access import Access
from bot.features.alerts import Alerts
from bot.i18n import Msg
from bot.imagine import ImagineClient, ImagineError
from bot.jobs import Display, JobService, PictureHost
from bot.jobs.failures import explain, upstream_detail
from bot.media.hosting import MediaError
from bot.render.suggestions import suggestions, tool_failed, working
from bot.runtime import metrics
from bot.runtime.tasks import TaskSet
from bot.store import Store
from bot.store.panels import Panel

log = logging.getLogger(__name__)
Work = Callable[[], Awaitable[list[str]]]


class Suggestions:
    def __init__(
        self,
        store: Store,
        client: ImagineClient,
        pictures: PictureHost | None,
        display: Display,
        jobs: JobService,
        access: Access | None = None,
        alerts: Alerts | None = None,
        weight: int = 1,
    ) -> None:
        self._weight = weight  # what one counts against daily limits (SUGGESTION_JOB_WEIGHT; 0: free)
        self._store = store
        self._client = client
        self._pictures = pictures
        self._display = display
        self._jobs = jobs
        self._access = access
        self._alerts = alerts
        self._tasks = TaskSet()
        self._busy: set[int] = set()  # people whose /describe or /shorten is running

    async def describe(self, chat_id: int, owner: Requester, picture: Picture, reply_to: int | None) -> Refused | None:
        async def work() -> list[str]:
            if self._pictures is None:
                raise MediaError("media.unsupported")
            return await self._client.describe(await self._pictures.url_for(picture))

        return await self._start(PanelKind.DESCRIBE, chat_id, owner, reply_to, work)

    async def shorten(self, chat_id: int, owner: Requester, prompt: str, reply_to: int | None) -> Refused | None:
        async def work() -> list[str]:
            return await self._client.shorten(prompt)

        return await self._start(PanelKind.SHORTEN, chat_id, owner, reply_to, work)

    async def _start(self, kind: PanelKind, chat_id: int, owner: Requester, reply_to: int | None, work: Work) -> Refused | None:
        """Both spend credit: they pass the operator's lists and limits (they are not counted as jobs),
        one at a time per person."""
        if self._access is not None and (refused := await self._access.check(owner.user_id, chat_id)):
            return refused
        if owner.user_id in self._busy:  # one at a time per person: each one spends credit
            return Refused(Refusal.BUSY)
        self._busy.add(owner.user_id)
        panel = await self._store.panels.create(kind, chat_id, owner)
        self._tasks.spawn(self._run(panel, reply_to, work), name=f"{kind}-{panel.key}")
        return None

    async def _run(self, panel: Panel, reply_to: int | None, work: Work) -> None:
        try:
            await self._answer(panel, reply_to, work)
        finally:
            self._busy.discard(panel.owner.user_id)

    async def _answer(self, panel: Panel, reply_to: int | None, work: Work) -> None:
        owner, kind = panel.owner, panel.kind
        try:
            message_id = await self._display.post(panel.chat_id, working(kind, owner), reply_to)
        except Exception:
            log.exception("could not answer %s in chat %s", kind, panel.chat_id)
            return
        await self._store.panels.placed(panel.key, message_id)
        metrics.job_started(kind)
        try:
            prompts = await work()
        except MediaError as exc:
            metrics.job_finished(kind, "failed", "picture")
            spec = tool_failed(kind, owner, exc.msg.text(owner.lang))
        except ImagineError as exc:
            failure = explain(exc)
            metrics.job_finished(kind, "failed", failure.reason)
            log.warning("%s failed: %s%s", kind, upstream_detail(exc), failure.hint)
            if failure.operator and self._alerts is not None:
                self._alerts.failure(failure)
            spec = tool_failed(kind, owner, failure.said(owner.lang))
        except Exception:
            log.exception("%s failed", kind)
            metrics.job_finished(kind, "failed", "internal")
            spec = tool_failed(kind, owner, Msg("fail.internal").text(owner.lang))
        else:
            metrics.job_finished(kind, "done")
            if self._weight:  # a paid call: in the usage ledger (failed ones, like failed jobs, are not)
                await self._store.usage.record_suggestion(kind.value, panel.chat_id, owner.user_id, owner.first_name,
                                                          self._weight)  # fmt: skip
            await self._store.panels.placed(panel.key, message_id, tuple(prompts))
            spec = suggestions(kind, panel.key, owner, prompts)
        self._display.show(panel.chat_id, message_id, spec)

    async def pick(
        self, tap: SuggestionTap, *, chat_id: int, chat_type: str, requester: Requester, profile: Profile
    ) -> Job | Refused | PromptError | None:
        """A tap on a suggested prompt: `/imagine` it as the tapper (None: not a button of ours)."""
        panel = await self._store.panels.get(tap.key)
        if panel is None or panel.chat_id != chat_id or panel.kind not in (PanelKind.DESCRIBE, PanelKind.SHORTEN):
            return None
        if not 1 <= tap.number <= len(panel.items):
            return None
        try:
            prompt = with_defaults(parse_prompt(panel.items[tap.number - 1]), profile)
        except PromptError as exc:
            return exc
        return await self._jobs.imagine(
            chat_id=chat_id, chat_type=chat_type, requester=requester, reply_to=panel.message_id, prompt=prompt,
            wishes=profile.wishes,
        )  # fmt: skip

    async def aclose(self) -> None:
        await self._tasks.close()

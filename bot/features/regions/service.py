"""Vary (Region) inside Telegram: a picker message to choose grid cells, then the masked job.

Tapping `Vary (Region)` opens a picker: the picture with a numbered 4×4 grid and a toggle button per
cell. Only the person who opened it may change it; replying to it with text sets the prompt for the
area. Submit sends `variation_region` with a full-size mask (`mask.py`). A person has one open
picker per picture: a second tap brings that one back (re-posted at the bottom of the chat, its
selection kept). A cancelled picker, and one left untouched for `idle_timeout`, gives way to a
one-line note. No Telegram here: messages go through the `Display` port, drawn by `bot.render`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

import httpx

from bot.core.callbacks import PickerAction, PickerTap
from bot.core.domain import Button, Image, Picker, PickerState, Refused, Requester, Wishes
from bot.core.prompt import clean_text
from bot.features.regions.mask import BadDrawing, mask_base64, mask_from_drawing, overlay_jpeg
from bot.features.regions.pickers import Answer, Outcome, Pickers, toggled
from bot.features.regions.pictures import PictureCache
from bot.jobs import AS_USUAL, REGION_ACTION, Display, JobService
from bot.render.picker import picker_message
from bot.render.spec import DELETE, MessageSpec
from bot.runtime.tasks import TaskSet
from bot.store import Store, new_key

log = logging.getLogger(__name__)
Overlay = Callable[[bytes, Iterable[int]], bytes]  # the picture with its grid drawn, as JPEG
BAD_MASKS = 5  # refused paintings (empty, unreadable, of the wrong size) before a picker closes


class RegionService:
    def __init__(
        self,
        store: Store,
        jobs: JobService,
        display: Display,
        http: httpx.AsyncClient,
        draw_base: str | None = None,
        *,
        draw_link: str | None = None,
        idle_timeout: float = 900.0,
        overlay: Overlay = overlay_jpeg,
    ) -> None:
        self._store = store
        self._pickers = Pickers(store.pickers)
        self._pictures = PictureCache(http)
        self._overlay = overlay
        self._idle_timeout = idle_timeout
        self._draw_base = draw_base  # {PUBLIC_URL}/webapp/region when the Mini App can be offered
        self._draw_link = draw_link  # its direct link (t.me/<bot>/<app>) for groups, when registered
        self._jobs = jobs
        self._display = display
        self._tasks = TaskSet()
        self._bad_masks: dict[str, int] = {}  # picker key → paintings refused so far

    def start(self) -> None:
        self._tasks.spawn(self._expire_forever(), name="picker-expiry")

    async def aclose(self) -> None:
        await self._tasks.close()

    async def open(self, button: Button, owner: Requester) -> bool:
        """Record a picker and post it (in the background: it needs the picture). True when this
        person already had one open on this picture: that one is brought back instead."""
        async with self._pickers.lock(f"{button.chat_id}:{button.image_id}:{owner.user_id}"):
            existing = await self._pickers.table.open_of(button.chat_id, button.image_id, owner.user_id)
            if existing is None:
                picker = Picker(new_key(), button.chat_id, button.image_id, owner, reply_to=button.message_id)
                await self._pickers.table.create(picker)
                self._tasks.spawn(self._post(picker), name=f"picker-{picker.key}")
                return False
        # Only one tap takes it off its message (a double tap, or one while it is being posted,
        # finds it already on its way).
        if existing.message_id is not None and await self._pickers.table.detach(existing.key, existing.message_id):
            self._tasks.spawn(self._bring_back(existing), name=f"picker-{existing.key}")
        return True

    async def act(self, tap: PickerTap, user: Requester, chat_type: str, wishes: Wishes = AS_USUAL) -> Outcome:
        async with self._pickers.lock(tap.key):
            picker = await self._pickers.editable(tap.key, user)
            if isinstance(picker, Outcome):
                return picker
            if tap.action is PickerAction.SUBMIT:
                return await self._submit(picker, user, chat_type, wishes)
            if tap.action is PickerAction.CANCEL:
                picker, answer = replace(picker, state=PickerState.CANCELLED), Answer.CANCELLED
            else:
                picker, answer = replace(picker, cells=toggled(picker.cells, tap)), Answer.UPDATED
            if not await self._pickers.table.save(picker):
                return Outcome(Answer.CLOSED)
        self._tasks.spawn(self._redraw(picker), name=f"picker-{picker.key}")
        return Outcome(answer, cells=picker.cells)

    async def set_prompt(self, chat_id: int, message_id: int, user: Requester, text: str) -> Outcome | None:
        """A reply to a picker sets the prompt for the area; None when it is not a picker."""
        found = await self._pickers.table.at(chat_id, message_id)
        if found is None:
            return None
        async with self._pickers.lock(found.key):
            picker = await self._pickers.editable(found.key, user)
            if isinstance(picker, Outcome):
                return picker
            picker = replace(picker, prompt=clean_text(text)[:1000] or None)
            if not await self._pickers.table.save(picker):
                return Outcome(Answer.CLOSED)
        self._tasks.spawn(self._redraw(picker), name=f"picker-{picker.key}")
        return Outcome(Answer.UPDATED)

    async def page_data(self, key: str) -> tuple[Picker, Image] | None:
        """What the Draw mask page shows: an open picker and its image."""
        picker = await self._pickers.table.get(key)
        if picker is None or picker.state is not PickerState.OPEN:
            return None
        await self._pickers.table.touch(key)  # the page is open: a slow painter keeps it
        image = await self._store.get_image(picker.image_id)
        return (picker, image) if image is not None else None

    async def submit_drawing(
        self, key: str, user: Requester, drawing: bytes, prompt: str | None, wishes: Wishes = AS_USUAL
    ) -> Outcome:
        """The Mini App's freehand mask (the caller has verified Telegram's signature)."""
        async with self._pickers.lock(key):
            picker = await self._pickers.editable(key, user)
            if isinstance(picker, Outcome):
                return picker
            image = await self._store.get_image(picker.image_id)
            if image is None:
                return Outcome(Answer.CLOSED)
            width, height = await self._pictures.full_size(image)
            try:
                mask = await asyncio.to_thread(mask_from_drawing, drawing, width, height)
            except BadDrawing:
                await self._bad_mask(picker)
                raise
            if mask is None:
                await self._bad_mask(picker)
                return Outcome(Answer.EMPTY)
            if prompt and clean_text(prompt):
                picker = replace(picker, prompt=clean_text(prompt)[:1000])
            return await self._start(picker, image, mask, user, "private", wishes, painted=True)

    # internals

    async def _bad_mask(self, picker: Picker) -> None:
        """Each refused painting costs a decode: after `BAD_MASKS` of them the picker closes."""
        count = self._bad_masks[picker.key] = self._bad_masks.get(picker.key, 0) + 1
        while len(self._bad_masks) > 1000:
            self._bad_masks.pop(next(iter(self._bad_masks)))
        if count >= BAD_MASKS and await self._pickers.close(picker, PickerState.CANCELLED):
            log.warning("region picker %s closed after %d refused paintings", picker.key, count)
            self._bad_masks.pop(picker.key, None)
            self._tasks.spawn(self._redraw(replace(picker, state=PickerState.CANCELLED)), name=f"picker-{picker.key}")

    async def _submit(self, picker: Picker, user: Requester, chat_type: str, wishes: Wishes) -> Outcome:
        if not picker.cells:
            return Outcome(Answer.EMPTY)
        image = await self._store.get_image(picker.image_id)
        if image is None:
            return Outcome(Answer.CLOSED)
        width, height = await self._pictures.full_size(image)
        mask = await asyncio.to_thread(mask_base64, width, height, sorted(picker.cells))
        return await self._start(picker, image, mask, user, chat_type, wishes)

    async def _start(
        self, picker: Picker, image: Image, mask: str, user: Requester, chat_type: str, wishes: Wishes,
        *, painted: bool = False,
    ) -> Outcome:
        started = await self._jobs.start_action(
            image, REGION_ACTION, chat_id=picker.chat_id, chat_type=chat_type, requester=user,
            reply_to=picker.message_id, mask=mask, prompt=picker.prompt, wishes=wishes,
        )  # fmt: skip
        if isinstance(started, Refused):
            return Outcome(Answer.REFUSED, refused=started)
        picker = replace(picker, state=PickerState.PAINTED if painted else PickerState.SUBMITTED)
        await self._pickers.table.save(picker)
        self._tasks.spawn(self._redraw(picker), name=f"picker-{picker.key}")
        return Outcome(Answer.SUBMITTED)

    async def _bring_back(self, old: Picker) -> None:
        """Post a detached picker again at the bottom of the chat, as it is now; the old message goes."""
        assert old.message_id is not None
        self._display.show(old.chat_id, old.message_id, DELETE)
        picker = await self._pickers.table.get(old.key)
        if picker is not None and picker.state is PickerState.OPEN:
            await self._post(picker)

    async def _expire_forever(self) -> None:
        """Abandoned pickers (untouched for `idle_timeout`) close and give way to a note."""
        while True:
            await asyncio.sleep(min(60.0, max(0.05, self._idle_timeout / 4)))
            try:
                for idle in await self._pickers.table.idle_since(time.time() - self._idle_timeout):
                    async with self._pickers.lock(idle.key):  # not while a tap or a submit is under way
                        picker = await self._pickers.table.get(idle.key)
                        if picker is None or not await self._pickers.close(picker, PickerState.EXPIRED):
                            continue
                    log.info("region picker %s expired", picker.key)
                    expired = replace(picker, state=PickerState.EXPIRED)
                    self._tasks.spawn(self._redraw(expired), name=f"picker-{picker.key}")
            except Exception:
                log.exception("could not expire region pickers")

    async def _post(self, picker: Picker) -> None:
        """Post an open picker that has no message (new, or brought back) and tie it to the message."""
        try:
            spec = await self._spec(picker)
            message_id = await self._display.post(picker.chat_id, spec, picker.reply_to)
        except Exception:
            log.exception("could not open a region picker for %s", picker.image_id)
            await self._pickers.close(picker, PickerState.CANCELLED)
            return
        if not await self._pickers.table.attach(picker.key, message_id):  # closed (expired) meanwhile
            self._display.show(picker.chat_id, message_id, DELETE)

    async def _redraw(self, picker: Picker) -> None:
        if picker.message_id is None:
            return
        try:
            spec = await self._spec(picker)
        except Exception:
            log.exception("could not redraw region picker %s", picker.key)
            return
        # Redraws run side by side and finish in any order: only the newest state is shown.
        if await self._pickers.table.get(picker.key) != picker:
            return
        if picker.state in (PickerState.CANCELLED, PickerState.EXPIRED):  # a photo cannot become text
            self._display.show(picker.chat_id, picker.message_id, DELETE)
            await self._display.post(picker.chat_id, spec, picker.reply_to)
            return
        self._display.show(picker.chat_id, picker.message_id, spec)

    async def _spec(self, picker: Picker) -> MessageSpec:
        if picker.state is not PickerState.OPEN:
            return picker_message(picker, None)
        image = await self._store.get_image(picker.image_id)
        if image is None:
            raise LookupError(f"image {picker.image_id} is unknown")
        picture = await self._pictures.preview(image)
        overlay = await asyncio.to_thread(self._overlay, picture, sorted(picker.cells))
        # Telegram allows Mini App (web_app) buttons in private chats only; a group gets the app's
        # direct link, whose start parameter names the picker (the page still checks who signs).
        draw_url = None
        if self._draw_base and picker.chat_id > 0:
            draw_url = f"{self._draw_base}/{picker.key}"
        elif self._draw_base and self._draw_link:
            draw_url = f"{self._draw_link}?startapp={picker.key}"
        return picker_message(picker, overlay, draw_url)

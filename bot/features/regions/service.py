"""Vary (Region) inside Telegram: a picker message to choose grid cells, then the masked job.

Tapping `Vary (Region)` opens a picker: the picture with a numbered 4×4 grid and a toggle button per
cell. Only the user who opened it may change it; replying to it with text sets the prompt for the
area. Submit sends `variation_region` with a full-size mask (see `bot.features.regions.mask`). State lives in
SQLite, so a picker keeps working across restarts. A person has one open picker per picture: a
second tap brings that one back (re-posted at the bottom of the chat, its selection kept). A
cancelled picker, and one left untouched for `idle_timeout`, collapses to a one-line note. No Telegram imports: messages go through the
`Display` protocol and are drawn by `bot.render.job`.
"""

from __future__ import annotations

import asyncio
import enum
import io
import logging
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Protocol

import httpx
from PIL import Image as PILImage

from bot.core.domain import Button, Image, Picker, Refused, Requester, Wishes
from bot.core.prompt import clean_text
from bot.features.regions.mask import CELLS, mask_base64, mask_from_drawing, overlay_jpeg
from bot.jobs import REGION_ACTION, JobService
from bot.jobs.service import AS_USUAL
from bot.media.hosting import MAX_IMAGE_BYTES, download
from bot.render import job as render
from bot.render import panels
from bot.runtime.tasks import TaskSet
from bot.store import Store, new_key

log = logging.getLogger(__name__)
_CACHE_SIZE = 32
_LOCKS = 64


class Display(Protocol):
    async def post(self, chat_id: int, spec: render.MessageSpec, reply_to: int | None = None) -> int: ...

    def show(
        self, chat_id: int, message_id: int, spec: render.MessageSpec, reply_to: int | None = None
    ) -> None: ...


class Answer(enum.Enum):
    """What a tap on a picker did, for the callback answer."""

    UPDATED = "updated"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"
    EMPTY = "empty"  # submit with nothing selected
    NOT_YOURS = "not_yours"
    CLOSED = "closed"
    REFUSED = "refused"  # the operator's lists or limits say no (see `refused`)


@dataclass(frozen=True)
class Outcome:
    answer: Answer
    owner: Requester | None = None
    refused: Refused | None = None
    cells: frozenset[int] = frozenset()  # the selection after the tap


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
    ) -> None:
        self._idle_timeout = idle_timeout
        self._store = store
        self._draw_base = draw_base  # {PUBLIC_URL}/webapp/region when the Mini App can be offered
        self._draw_link = draw_link  # its direct link (t.me/<bot>/<app>) for groups, when registered
        self._jobs = jobs
        self._display = display
        self._http = http
        self._pictures: OrderedDict[str, bytes] = OrderedDict()
        # A fixed pool, not a lock per key: forged keys cannot grow it.
        self._locks = tuple(asyncio.Lock() for _ in range(_LOCKS))
        self._tasks = TaskSet()

    def start(self) -> None:
        self._tasks.spawn(self._expire_forever(), name="picker-expiry")

    async def open(self, button: Button, owner: Requester) -> bool:
        """Record a picker and post it (in the background: it needs the picture). True when this
        person already had one open on this picture: that one is brought back instead."""
        async with self._lock(f"{button.chat_id}:{button.image_id}:{owner.user_id}"):
            existing = await self._store.pickers.open_of(button.chat_id, button.image_id, owner.user_id)
            if existing is None:
                await self._open(button, owner)
                return False
        # Only one tap takes it off its message (a double tap, or one while it is being posted,
        # finds it already on its way).
        if existing.message_id is not None and await self._store.pickers.detach(existing.key, existing.message_id):
            self._tasks.spawn(self._bring_back(existing), name=f"picker-{existing.key}")
        return True

    async def _open(self, button: Button, owner: Requester) -> None:
        picker = Picker(
            key=new_key(),
            chat_id=button.chat_id,
            image_id=button.image_id,
            owner=owner,
            reply_to=button.message_id,
        )
        await self._store.pickers.create(picker)
        self._tasks.spawn(self._post(picker), name=f"picker-{picker.key}")

    async def _bring_back(self, old: Picker) -> None:
        """Post a detached picker again at the bottom of the chat, as it is now; the old message goes."""
        assert old.message_id is not None
        self._display.show(old.chat_id, old.message_id, render.DELETE)
        picker = await self._store.pickers.get(old.key)
        if picker is not None and picker.state == "open":
            await self._post(picker)

    async def _expire_forever(self) -> None:
        """Abandoned pickers (untouched for `idle_timeout`) close and collapse to a note."""
        while True:
            await asyncio.sleep(min(60.0, max(0.5, self._idle_timeout / 4)))
            try:
                for idle in await self._store.pickers.idle_since(time.time() - self._idle_timeout):
                    async with self._lock(idle.key):  # not while a tap or a submit is under way
                        picker = await self._store.pickers.get(idle.key)
                        if picker is None or not await self._store.pickers.close_if_open(idle.key, "expired"):
                            continue
                    log.info("region picker %s expired", picker.key)
                    self._tasks.spawn(self._redraw(replace(picker, state="expired")), name=f"picker-{picker.key}")
            except Exception:
                log.exception("could not expire region pickers")

    async def _editable(self, key: str, user: Requester) -> Picker | Outcome:
        """The open picker `user` may change, or why not."""
        picker = await self._store.pickers.get(key)
        if picker is None or picker.state != "open" or picker.message_id is None:
            return Outcome(Answer.CLOSED)
        if user.user_id != picker.owner.user_id:
            return Outcome(Answer.NOT_YOURS, picker.owner)
        return picker

    async def act(self, key: str, op: str, user: Requester, chat_type: str, wishes: Wishes = AS_USUAL) -> Outcome:
        async with self._lock(key):
            picker = await self._editable(key, user)
            if isinstance(picker, Outcome):
                return picker
            if op == "ok":
                return await self._submit(picker, user, chat_type, wishes)
            if op == "x":
                picker = replace(picker, state="cancelled")
                answer = Answer.CANCELLED
            else:
                picker = replace(picker, cells=_toggle(picker.cells, op))
                answer = Answer.UPDATED
            if not await self._store.pickers.save(picker):
                return Outcome(Answer.CLOSED)
        self._tasks.spawn(self._redraw(picker), name=f"picker-{picker.key}")
        return Outcome(answer, cells=picker.cells)

    async def set_prompt(self, chat_id: int, message_id: int, user: Requester, text: str) -> Outcome | None:
        """A reply to a picker sets the prompt for the area; None when it is not a picker."""
        picker = await self._store.pickers.at(chat_id, message_id)
        if picker is None:
            return None
        if picker.state != "open":
            return Outcome(Answer.CLOSED)
        if user.user_id != picker.owner.user_id:
            return Outcome(Answer.NOT_YOURS, picker.owner)
        async with self._lock(picker.key):
            picker = await self._store.pickers.get(picker.key) or picker
            picker = replace(picker, prompt=clean_text(text)[:1000] or None)
            if not await self._store.pickers.save(picker):
                return Outcome(Answer.CLOSED)
        self._tasks.spawn(self._redraw(picker), name=f"picker-{picker.key}")
        return Outcome(Answer.UPDATED)

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks[zlib.crc32(key.encode()) % len(self._locks)]

    async def aclose(self) -> None:
        await self._tasks.close()

    # internals

    async def _submit(self, picker: Picker, user: Requester, chat_type: str, wishes: Wishes) -> Outcome:
        if not picker.cells:
            return Outcome(Answer.EMPTY)
        image = await self._store.get_image(picker.image_id)
        if image is None:
            return Outcome(Answer.CLOSED)
        width, height = await self._full_size(image)
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
        picker = replace(picker, state="painted" if painted else "submitted")
        await self._store.pickers.save(picker)
        self._tasks.spawn(self._redraw(picker), name=f"picker-{picker.key}")
        return Outcome(Answer.SUBMITTED)

    async def _full_size(self, image: Image) -> tuple[int, int]:
        """The mask must match the full-size image exactly; measure it if upstream did not say."""
        if image.raw_image_width and image.raw_image_height:
            return image.raw_image_width, image.raw_image_height
        data = await download(self._http, image.raw_image_url or image.image_url, MAX_IMAGE_BYTES * 3)
        with PILImage.open(io.BytesIO(data)) as picture:
            return picture.size

    async def _post(self, picker: Picker) -> None:
        """Post an open picker that has no message (new, or brought back) and tie it to the message."""
        try:
            spec = await self._spec(picker)
            message_id = await self._display.post(picker.chat_id, spec, picker.reply_to)
        except Exception:
            log.exception("could not open a region picker for %s", picker.image_id)
            await self._store.pickers.close_if_open(picker.key, "cancelled")
            return
        if not await self._store.pickers.attach(picker.key, message_id):  # closed (expired) meanwhile
            self._display.show(picker.chat_id, message_id, render.DELETE)

    async def _redraw(self, picker: Picker) -> None:
        if picker.message_id is None:
            return
        try:
            spec = await self._spec(picker)
        except Exception:
            log.exception("could not redraw region picker %s", picker.key)
            return
        # Redraws run side by side and finish in any order: only the newest state is shown.
        if await self._store.pickers.get(picker.key) != picker:
            return
        if picker.state in ("cancelled", "expired"):  # a photo cannot become text: a note replaces it
            self._display.show(picker.chat_id, picker.message_id, render.DELETE)
            await self._display.post(picker.chat_id, spec, picker.reply_to)
            return
        self._display.show(picker.chat_id, picker.message_id, spec)

    async def _spec(self, picker: Picker) -> render.MessageSpec:
        if picker.state != "open":
            return panels.picker_message(picker, None)
        picture = await self._picture(picker.image_id)
        overlay = await asyncio.to_thread(overlay_jpeg, picture, sorted(picker.cells))
        # Telegram allows Mini App (web_app) buttons in private chats only; a group gets the app's
        # direct link, whose start parameter names the picker (the page still checks who signs).
        draw_url = None
        if self._draw_base and picker.chat_id > 0:
            draw_url = f"{self._draw_base}/{picker.key}"
        elif self._draw_base and self._draw_link:
            draw_url = f"{self._draw_link}?startapp={picker.key}"
        return panels.picker_message(picker, overlay, draw_url)

    async def page_data(self, key: str) -> tuple[Picker, Image] | None:
        """What the Draw mask page shows: an open picker and its image."""
        picker = await self._store.pickers.get(key)
        if picker is None or picker.state != "open":
            return None
        await self._store.pickers.touch(key)  # the page is open: a slow painter keeps it
        image = await self._store.get_image(picker.image_id)
        return (picker, image) if image is not None else None

    async def submit_drawing(
        self, key: str, user: Requester, drawing: bytes, prompt: str | None, wishes: Wishes = AS_USUAL
    ) -> Outcome:
        """The Mini App's freehand mask (the caller has verified Telegram's signature)."""
        async with self._lock(key):
            picker = await self._editable(key, user)
            if isinstance(picker, Outcome):
                return picker
            image = await self._store.get_image(picker.image_id)
            if image is None:
                return Outcome(Answer.CLOSED)
            width, height = await self._full_size(image)
            mask = await asyncio.to_thread(mask_from_drawing, drawing, width, height)
            if mask is None:
                return Outcome(Answer.EMPTY)
            if prompt and clean_text(prompt):
                picker = replace(picker, prompt=clean_text(prompt)[:1000])
            return await self._start(picker, image, mask, user, "private", wishes, painted=True)

    async def _picture(self, image_id: str) -> bytes:
        if image_id in self._pictures:
            self._pictures.move_to_end(image_id)
            return self._pictures[image_id]
        image = await self._store.get_image(image_id)
        if image is None:
            raise LookupError(f"image {image_id} is unknown")
        data = await download(self._http, image.image_url, MAX_IMAGE_BYTES)
        self._pictures[image_id] = data
        while len(self._pictures) > _CACHE_SIZE:
            self._pictures.popitem(last=False)
        return data


def _toggle(cells: frozenset[int], op: str) -> frozenset[int]:
    if op == "all":
        return frozenset(range(1, CELLS + 1))
    if op == "clr":
        return frozenset()
    if op.startswith("t") and op[1:].isdigit() and 1 <= int(op[1:]) <= CELLS:
        return cells ^ {int(op[1:])}
    raise ValueError(f"unknown picker operation {op!r}")

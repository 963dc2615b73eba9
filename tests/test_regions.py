"""The Vary (Region) picker's operations without Telegram: toggles, Select all, Clear, Cancel,
owner-only changes and an empty submit (a recording display, a temporary store)."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx
from PIL import Image as PILImage

from bot.core.callbacks import PickerTap, parse_picker
from bot.core.domain import Button, Image, Picker, Requester
from bot.features.regions import Answer, RegionService
from bot.features.regions.mask import BadDrawing, overlay_jpeg
from bot.features.regions.service import Overlay
from bot.render.spec import MessageSpec
from bot.store import Store

ANN = Requester(7, "Ann", "ann")
BOB = Requester(8, "Bob", "bob")


def _png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (64, 64), (120, 90, 40)).save(out, "PNG")
    return out.getvalue()


class Display:
    def __init__(self) -> None:
        self.shown: list[MessageSpec] = []

    async def post(self, chat_id: int, spec: MessageSpec, reply_to: int | None = None) -> int:
        self.shown.append(spec)
        return 900

    def show(self, chat_id: int, message_id: int, spec: MessageSpec, reply_to: int | None = None) -> None:
        self.shown.append(spec)


def tap(key: str, op: str) -> PickerTap:
    parsed = parse_picker(f"r:{key}:{op}")
    assert parsed is not None
    return parsed


async def _picker(store: Store, overlay: Overlay = overlay_jpeg) -> tuple[RegionService, Store, Display, str]:
    await store.save_image(Image("img", "t1", "https://cdn.test/img.png", raw_image_width=1024,
                                 raw_image_height=1024, is_grid=False, chat_id=1, message_id=50))  # fmt: skip
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=_png())))
    display = Display()
    regions = RegionService(store, jobs=None, display=display, http=http, overlay=overlay)  # type: ignore[arg-type]
    await regions.open(Button("k", "img", "variation_region", 1, 50), ANN)
    for _ in range(100):
        picker = await store.pickers.at(1, 900)
        if picker is not None:
            return regions, store, display, picker.key
        await asyncio.sleep(0.01)
    raise AssertionError("the picker was not posted")


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def _cells(store: Store, key: str) -> Picker:
    picker = await store.pickers.get(key)
    assert picker is not None
    return picker


async def test_toggles_select_all_and_clear(store: Store) -> None:
    regions, store, display, key = await _picker(store)
    assert (await regions.act(tap(key, "t3"), ANN, "private")).answer is Answer.UPDATED
    assert (await _cells(store, key)).cells == {3}
    await regions.act(tap(key, "t3"), ANN, "private")
    assert (await _cells(store, key)).cells == set(), "a second tap unselects"
    await regions.act(tap(key, "all"), ANN, "private")
    assert (await _cells(store, key)).cells == set(range(1, 17))
    await regions.act(tap(key, "clr"), ANN, "private")
    assert (await _cells(store, key)).cells == set()
    await _until(lambda: "Selected: nothing yet" in display.shown[-1].body)  # the message is redrawn
    await regions.aclose()


async def test_cancel_closes_the_picker(store: Path) -> None:
    regions, store, display, key = await _picker(store)
    assert (await regions.act(tap(key, "x"), ANN, "private")).answer is Answer.CANCELLED
    assert (await _cells(store, key)).state == "cancelled"
    assert (await regions.act(tap(key, "t1"), ANN, "private")).answer is Answer.CLOSED
    await _until(lambda: "cancelled" in display.shown[-1].body)
    await regions.aclose()


async def test_only_the_owner_changes_it_and_an_empty_submit_is_refused(store: Store) -> None:
    regions, store, _, key = await _picker(store)
    outcome = await regions.act(tap(key, "t2"), BOB, "private")
    assert outcome.answer is Answer.NOT_YOURS and outcome.owner is not None and outcome.owner.user_id == ANN.user_id
    assert (await _cells(store, key)).cells == set(), "a stranger's tap changes nothing"
    assert (await regions.act(tap(key, "ok"), ANN, "private")).answer is Answer.EMPTY
    assert (await _cells(store, key)).state == "open"
    await regions.aclose()


async def test_redraws_finishing_out_of_order_never_show_an_older_selection(store: Store) -> None:
    """Each tap starts its own redraw; a slow one that ends last must not put back an old state.
    The {3} overlay is held until the {3, 5} redraw has been shown (no timing involved)."""
    release, finished = threading.Event(), threading.Event()

    def overlay(picture: bytes, cells: Iterable[int]) -> bytes:
        cells = list(cells)
        if set(cells) == {3}:
            release.wait(10)  # in a worker thread: the next tap's redraw overtakes it
            finished.set()
        return overlay_jpeg(picture, cells)

    regions, store, display, key = await _picker(store, overlay)
    try:
        shown = len(display.shown)
        assert (await regions.act(tap(key, "t3"), ANN, "private")).cells == {3}
        assert (await regions.act(tap(key, "t5"), ANN, "private")).cells == {3, 5}
        await _until(lambda: any("Selected: 3, 5" in s.body for s in display.shown[shown:]))
        release.set()
        await _until(finished.is_set)
        await _until(lambda: len(regions._tasks) <= 1)
        redraws = display.shown[shown:]
        assert "Selected: 3, 5" in redraws[-1].body, [s.body for s in redraws]
        assert all("Selected: 3\n" not in s.body for s in redraws), "the stale {3} redraw was dropped"
    finally:
        release.set()
        await regions.aclose()


class SlowDisplay(Display):
    """Posts wait for `go` (the chat's pacing); each new message gets the next id."""

    def __init__(self) -> None:
        super().__init__()
        self.go = asyncio.Event()
        self.go.set()
        self.next_id = 900
        self.deleted: list[int] = []

    async def post(self, chat_id: int, spec: MessageSpec, reply_to: int | None = None) -> int:
        await self.go.wait()
        self.shown.append(spec)
        self.next_id += 1
        return self.next_id - 1

    def show(self, chat_id: int, message_id: int, spec: MessageSpec, reply_to: int | None = None) -> None:
        if spec.delete:
            self.deleted.append(message_id)
        self.shown.append(spec)


async def test_a_picker_brought_back_is_never_reopened_or_doubled(store: Store) -> None:
    """Vary (Region) again re-posts the person's open picker. While it is on its way, taps on the
    old message find it closed (a Submit there cannot start a second job later), a double tap posts
    it once, and once it is submitted it stays submitted."""
    await store.save_image(Image("img", "t1", "https://cdn.test/img.png", raw_image_width=1024,
                                 raw_image_height=1024, is_grid=False, chat_id=-5, message_id=50))  # fmt: skip
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=_png())))
    display = SlowDisplay()
    regions = RegionService(store, jobs=None, display=display, http=http)  # type: ignore[arg-type]
    button = Button("k", "img", "variation_region", -5, 50)
    assert not await regions.open(button, ANN)
    await _until(lambda: display.next_id == 901)
    await _until_async(lambda: _message_of(store, -5, 900))
    key = (await store.pickers.at(-5, 900)).key  # type: ignore[union-attr]
    await regions.act(tap(key, "t6"), ANN, "group")

    display.go.clear()  # the group's pacing holds the re-post back
    assert await regions.open(button, ANN) and await regions.open(button, ANN), "both taps: brought back"
    assert (await regions.act(tap(key, "ok"), ANN, "group")).answer is Answer.CLOSED, "the old message is off"
    display.go.set()
    await _until(lambda: display.next_id == 902)
    await _until_async(lambda: _message_of(store, -5, 901))
    assert display.deleted == [900] and display.next_id == 902, "one re-post, the old message deleted"
    picker = await _cells(store, key)
    assert picker.state == "open" and picker.cells == {6} and picker.message_id == 901
    assert "6" in display.shown[-1].body

    await store.pickers.close_if_open(key, "submitted")  # as a submit does
    assert not await store.pickers.attach(key, 999) and not await store.pickers.save(picker)
    assert (await _cells(store, key)).state == "submitted", "nothing reopens it"
    assert not await regions.open(button, ANN), "a new picker, since that one is closed"
    await regions.aclose()
    await http.aclose()


async def _message_of(store: Store, chat_id: int, message_id: int) -> bool:
    return await store.pickers.at(chat_id, message_id) is not None


async def _until_async(condition: Callable[[], object], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if await condition():  # type: ignore[misc]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_an_untouched_picker_expires_into_a_note(store: Store) -> None:
    await store.save_image(Image("img", "t1", "https://cdn.test/img.png", raw_image_width=1024,
                                 raw_image_height=1024, is_grid=False, chat_id=-5, message_id=50))  # fmt: skip
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=_png())))
    display = SlowDisplay()
    regions = RegionService(store, jobs=None, display=display, http=http, idle_timeout=0.2)  # type: ignore[arg-type]
    regions.start()
    await regions.open(Button("k", "img", "variation_region", -5, 50), ANN)
    await _until_async(lambda: _message_of(store, -5, 900))
    await _until(lambda: display.deleted == [900], timeout=5)
    await _until(lambda: "closed after a while" in display.shown[-1].body)
    note = display.shown[-1]
    assert note.photo is None and not note.keyboard and "@ann" in note.body
    [closed] = [p for p in [await store.pickers.at(-5, 900)] if p is not None]
    assert closed.state == "expired"
    await regions.aclose()
    await http.aclose()


async def test_a_picker_closes_after_five_refused_paintings(store: Store) -> None:
    """Each refused painting costs a decode; the sixth try finds the picker closed."""
    regions, store, _display, key = await _picker(store)
    out = io.BytesIO()
    PILImage.new("RGBA", (64, 64), (0, 0, 0, 0)).save(out, "PNG")
    empty = out.getvalue()  # nothing painted: refused
    for _ in range(5):
        try:
            outcome = await regions.submit_drawing(key, ANN, empty, None)
            assert outcome.answer is Answer.EMPTY
        except BadDrawing:
            pass
    assert (await _cells(store, key)).state == "cancelled"
    assert (await regions.submit_drawing(key, ANN, empty, None)).answer is Answer.CLOSED
    await regions.aclose()

"""Vary (Region) end to end: picker, owner-only taps, prompt by reply, restart, exact mask."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import httpx
from PIL import Image

from bot.features.regions.mask import CELLS, cell_box
from tests.fakes import FakeAceData, FakeMessage, FakeTelegram
from tests.harness import BotProcess, free_port
from tests.test_e2e_core import data_of, finished, imagine_requests, labels, reply_to
from tests.test_webapp import PRIVATE, _drawing, init_data

GROUP = FakeTelegram.group()
ANN = FakeTelegram.user(11, "Ann", "ann")
BOB = FakeTelegram.user(12, "Bob")


def single_image(tg: FakeTelegram) -> FakeMessage:
    request = tg.user_message(GROUP, ANN, "/imagine a king")
    grid = finished(tg, reply_to(tg, GROUP["id"], request))
    tg.press(GROUP, ANN, grid.message_id, data_of(grid, "U2"))
    return finished(tg, reply_to(tg, GROUP["id"], grid.message_id))


def picker_state(tg: FakeTelegram, picker: FakeMessage) -> FakeMessage:
    return tg.messages[(picker.chat_id, picker.message_id)]


def caption(tg: FakeTelegram, picker: FakeMessage) -> str:
    return picker_state(tg, picker).rendered()[0] or ""


def answer(tg: FakeTelegram, query_id: str) -> dict[str, object]:
    return tg.wait_for(lambda: tg.answers.get(query_id), timeout=10)


def assert_refused(answered: dict[str, object]) -> None:
    """The alert a stranger gets for touching Ann's picker."""
    assert answered.get("text") == "Only Ann can change this selection."
    assert answered.get("show_alert") in (True, "true", "True")


def test_region_picker_to_masked_job(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.single_raw_size = (1030, 771)
    bot = make_bot().start()
    single = single_image(tg)
    tg.press(GROUP, ANN, single.message_id, data_of(single, "Vary (Region)"))
    picker = tg.wait_for(
        lambda: next(m for m in tg.bot_messages(GROUP["id"]) if m.reply_to_message_id == single.message_id and
                     "Vary (Region)" in (m.caption or "")), timeout=15)  # fmt: skip
    assert isinstance(picker.photo, bytes), "the overlay is uploaded"
    rows = labels(picker)
    assert [len(r) for r in rows] == [4, 4, 4, 4, 2, 2]
    assert rows[0] == ["1", "2", "3", "4"] and rows[5] == ["🚀 Submit", "✖️ Cancel"]
    first_overlay = picker.photo

    # Another user cannot change it; an empty selection is not submitted.
    assert_refused(answer(tg, tg.press(GROUP, BOB, picker.message_id, data_of(picker, "3"))))
    empty = answer(tg, tg.press(GROUP, ANN, picker.message_id, data_of(picker, "🚀 Submit")))
    assert "at least one" in str(empty.get("text"))
    assert "Selected: nothing yet" in caption(tg, picker)

    for cell in ("1", "6"):
        tg.press(GROUP, ANN, picker.message_id, data_of(picker_state(tg, picker), cell))
        tg.wait_for(
            lambda c=cell: any(f"✅ {c}" in row for row in labels(picker_state(tg, picker))), timeout=10
        )  # type: ignore[misc]
    assert "Selected: 1, 6" in caption(tg, picker)
    assert picker_state(tg, picker).photo != first_overlay, "the overlay shows the selection"

    # A restart in the middle of picking keeps the selection.
    assert bot.stop() == 0
    bot.start()
    tg.press(GROUP, ANN, picker.message_id, data_of(picker_state(tg, picker), "16"))
    tg.wait_for(lambda: "Selected: 1, 6, 16" in caption(tg, picker), timeout=10)

    # A reply sets the prompt for the area; only the owner's counts: a stranger's reply after it is
    # refused and changes nothing, and a stranger cannot submit the owner's selection.
    tg.user_message(GROUP, ANN, "a golden crown", reply_to=picker.message_id)
    tg.wait_for(lambda: "a golden crown" in caption(tg, picker), timeout=10)
    stranger = tg.user_message(GROUP, BOB, "a pirate hat", reply_to=picker.message_id)
    assert reply_to(tg, GROUP["id"], stranger).rendered()[0] == "⚠️ Only Ann can change this selection."
    submit = data_of(picker_state(tg, picker), "🚀 Submit")
    assert_refused(answer(tg, tg.press(GROUP, BOB, picker.message_id, submit)))
    assert "a golden crown" in caption(tg, picker) and "pirate" not in caption(tg, picker)
    assert picker_state(tg, picker).buttons(), "the picker is still open"

    tg.press(GROUP, ANN, picker.message_id, data_of(picker_state(tg, picker), "🚀 Submit"))
    result = finished(tg, reply_to(tg, GROUP["id"], picker.message_id))
    [body] = imagine_requests(ace, "variation_region")
    assert body["image_id"] in ace.images and body["prompt"] == "a golden crown"
    record = next(r for r in ace.requests if (r["body"] or {}).get("action") == "variation_region")
    mask = record["mask_image"]
    assert mask.size == (1030, 771)
    gray = mask.convert("L")
    for cell in range(1, CELLS + 1):
        left, top, right, bottom = cell_box(cell, 1030, 771)
        expected = 255 if cell in {1, 6, 16} else 0
        assert gray.getpixel(((left + right) // 2, (top + bottom) // 2)) == expected, cell
        assert gray.getpixel((right - 1, bottom - 1)) == expected, cell
    assert labels(result)[0] == ["U1", "U2", "U3", "U4", "🔄"]
    assert "submitted" in caption(tg, picker) and not picker_state(tg, picker).buttons()


def test_picker_taps_are_answered_at_once_and_redrawn_at_the_chats_pace(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    """With Telegram's own pacing (1 call/s per chat, progress edits every 5 s), each tap is answered
    within a second, naming the selection, and the picture follows at the chat's pace, not the
    progress interval."""
    import time

    make_bot(PROGRESS_EDIT_INTERVAL="5", TELEGRAM_CHAT_INTERVAL="1.0").start()
    single = single_image(tg)
    tg.press(GROUP, ANN, single.message_id, data_of(single, "Vary (Region)"))
    picker = tg.wait_for(
        lambda: next(m for m in tg.bot_messages(GROUP["id"]) if m.reply_to_message_id == single.message_id and
                     "Vary (Region)" in (m.caption or "")), timeout=15)  # fmt: skip
    selected: list[str] = []
    for cell in ("2", "7", "2"):
        label = f"✅ {cell}" if cell in selected else cell
        selected = sorted(set(selected) ^ {cell}, key=int)
        tapped = time.monotonic()
        query = tg.press(GROUP, ANN, picker.message_id, data_of(picker_state(tg, picker), label))
        answered = answer(tg, query)
        assert time.monotonic() - tapped < 1.0, "answered at once"
        assert answered.get("text") == (f"Selected: {', '.join(selected)}" if selected else "Nothing selected.")
        expected = f"Selected: {', '.join(selected)}\n"
        tg.wait_for(lambda e=expected: e in caption(tg, picker), timeout=2.5)  # type: ignore[misc]
        assert time.monotonic() - tapped < 2.5, "redrawn at the chat's pace (1/s), not every 5 s"
    tg.user_message(GROUP, ANN, "a golden crown", reply_to=picker.message_id)
    tg.wait_for(lambda: "Prompt: a golden crown" in caption(tg, picker), timeout=2.5)


def test_in_groups_draw_mask_opens_through_the_apps_direct_link(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    """Telegram allows web_app buttons in private chats only, so a group's picker links to the Mini
    App registered in BotFather (`MINI_APP_LINK`), its start parameter naming the picker. Telegram
    opens the app's fixed URL with `tgWebAppStartParam`; the painting counts only when signed by the
    picker's owner."""



    ace.single_raw_size = (800, 600)
    port = free_port()
    local = f"http://127.0.0.1:{port}"
    make_bot(PUBLIC_URL="https://bot.example", HTTP_HOST="127.0.0.1", HTTP_PORT=str(port),
             MINI_APP_LINK="https://t.me/mj_test_bot/draw").start()  # fmt: skip
    single = single_image(tg)
    tg.press(GROUP, ANN, single.message_id, data_of(single, "Vary (Region)"))
    picker = reply_to(tg, GROUP["id"], single.message_id)
    key = data_of(picker, "🚀 Submit").split(":")[1]
    [draw] = [b for row in picker.buttons() for b in row if b["text"] == "🖌 Draw mask"]
    assert draw == {"text": "🖌 Draw mask", "url": f"https://t.me/mj_test_bot/draw?startapp={key}"}
    assert "Or tap 🖌 Draw mask to paint the area freely." in caption(tg, picker)

    page = httpx.get(f"{local}/webapp/region", params={"tgWebAppStartParam": key})  # as Telegram opens it
    assert page.status_code == 200 and f'data-action="region/{key}"' in page.text
    drawing = io.BytesIO()
    canvas = Image.new("RGBA", (200, 150), (0, 0, 0, 0))
    canvas.paste((230, 0, 180, 255), (100, 75, 200, 150))
    canvas.save(drawing, "PNG")
    painted = base64.b64encode(drawing.getvalue()).decode()
    action = f"{local}/webapp/region/{key}"
    stranger = httpx.post(action, headers={"Authorization": "tma " + init_data(BOB)}, json={"mask": painted})
    assert (stranger.status_code, stranger.json()["error"]) == (403, "not_yours")
    sent = httpx.post(action, headers={"Authorization": "tma " + init_data(ANN)}, json={"mask": painted, "prompt": "a silver crown"})
    assert sent.status_code == 200, sent.text
    finished(tg, reply_to(tg, GROUP["id"], picker.message_id))
    [body] = imagine_requests(ace, "variation_region")
    assert body["prompt"] == "a silver crown"
    mask = next(r for r in ace.requests if (r["body"] or {}).get("action") == "variation_region")["mask_image"]
    assert mask.size == (800, 600) and mask.convert("L").getpixel((700, 500)) == 255


def test_draw_mask_page_end_to_end(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.single_raw_size = (800, 600)
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    make_bot(PUBLIC_URL=public, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port)).start()
    request = tg.user_message(PRIVATE, ANN, "/imagine a queen")
    grid = finished(tg, reply_to(tg, PRIVATE["id"], request))
    tg.press(PRIVATE, ANN, grid.message_id, data_of(grid, "U1"))
    single = finished(tg, reply_to(tg, PRIVATE["id"], grid.message_id))
    tg.press(PRIVATE, ANN, single.message_id, data_of(single, "Vary (Region)"))
    picker = reply_to(tg, PRIVATE["id"], single.message_id)
    key = data_of(picker, "🚀 Submit").split(":")[1]
    page_url = f"{public}/webapp/region/{key}"

    page = httpx.get(page_url)
    raw = single.photo.replace(".png", "-raw.png") if single.photo else "?"
    assert page.status_code == 200 and raw in page.text, "the full-size picture, as sharp as the screen allows"
    closed = httpx.get(f"{public}/webapp/region/unknownkey", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert closed.status_code == 404 and "viewport" in closed.text and "这个选择器已关闭" in closed.text

    painted = base64.b64encode(_drawing((200, 150), (100, 75, 200, 150))).decode()
    empty = base64.b64encode(_drawing((200, 150), None)).decode()
    bob = FakeTelegram.user(12, "Bob")
    def refusal(init: str, mask: str) -> tuple[int, str]:
        answer = httpx.post(page_url, headers={"Authorization": "tma " + init}, json={"mask": mask})
        return answer.status_code, answer.json()["error"]

    assert refusal("user=%7B%7D&hash=00", painted) == (403, "not_telegram")
    assert refusal(init_data(ANN, age=7200), painted) == (403, "expired")
    assert refusal(init_data(bob), painted) == (403, "not_yours")
    assert refusal(init_data(ANN), "***") == (400, "bad_drawing")
    assert refusal(init_data(ANN), empty) == (422, "empty")
    assert not imagine_requests(ace, "variation_region")

    sent = httpx.post(page_url, headers={"Authorization": "tma " + init_data(ANN)}, json={"mask": f"data:image/png;base64,{painted}",
                                      "prompt": "a silver crown"})  # fmt: skip
    assert sent.status_code == 200, sent.text
    result = finished(tg, reply_to(tg, PRIVATE["id"], picker.message_id))
    assert result.photo
    said = tg.messages[(PRIVATE["id"], picker.message_id)].rendered()[0]
    assert said == "🖌 Vary (Region): repainting the painted area…", "not a list of cells"
    [body] = imagine_requests(ace, "variation_region")
    assert body["prompt"] == "a silver crown"
    mask = next(r for r in ace.requests if (r["body"] or {}).get("action") == "variation_region")[
        "mask_image"
    ]
    gray = mask.convert("L")
    assert mask.size == (800, 600)
    assert gray.getpixel((700, 500)) == 255 and gray.getpixel((100, 100)) == 0
    assert httpx.post(page_url, headers={"Authorization": "tma " + init_data(ANN)}, json={"mask": painted}).status_code == 404

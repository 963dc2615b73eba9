"""Hostile input against the running bot (its web port open with PUBLIC_URL): oversized bodies,
a decompression bomb for a mask, the job cap on every path, odd names, invisible characters,
secrets in the debug log, file modes. Each attack first, then a normal job still finishes."""

from __future__ import annotations

import base64
import io
import os
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from PIL import Image

from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BotProcess, free_port, settle
from tests.test_e2e_core import data_of, finished, imagine_requests, labels, reply_to
from tests.test_webapp import init_data

ANN = FakeTelegram.user(11, "Ann", "ann")
BOB = FakeTelegram.user(12, "Bob", "bob")
PRIVATE = FakeTelegram.private(ANN)
MB = 1 << 20


def peak_rss_mb(bot: BotProcess) -> float:
    """The bot's peak resident memory so far (VmHWM), from /proc."""
    assert bot.proc is not None
    for line in Path(f"/proc/{bot.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def flood(url: str, total: int, *, declare: bool) -> int | None:
    """POST `total` bytes (declared in Content-Length, or chunked) as fast as the server takes
    them; the status line if the server answers, None if it only closed the connection."""
    parts = urlsplit(url)
    # A server that stops reading leaves sendall blocked: two seconds of that means it stopped.
    with socket.create_connection((parts.hostname, parts.port), timeout=2) as sock:
        length = f"Content-Length: {total}" if declare else "Transfer-Encoding: chunked"
        sock.sendall(f"POST {parts.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"{length}\r\n\r\n".encode())  # fmt: skip
        chunk = b"x" * MB
        sent = 0
        try:
            while sent < total:
                sock.sendall(chunk if declare else b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            if not declare:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server stopped reading: what we want
        try:
            answer = sock.recv(200)
        except OSError:
            return None
    return int(answer.split()[1]) if answer.startswith(b"HTTP/1.1") else None


def _picker(tg: FakeTelegram, prompt: str) -> tuple[str, int]:
    grid = finished(tg, reply_to(tg, PRIVATE["id"], tg.user_message(PRIVATE, ANN, prompt)))
    tg.press(PRIVATE, ANN, grid.message_id, data_of(grid, "U1"))
    single = finished(tg, reply_to(tg, PRIVATE["id"], grid.message_id))
    tg.press(PRIVATE, ANN, single.message_id, data_of(single, "Vary (Region)"))
    picker = reply_to(tg, PRIVATE["id"], single.message_id)
    return data_of(picker, "🚀 Submit").split(":")[1], picker.message_id


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (9000, 9000), 0).save(out, "PNG", optimize=True)  # a few hundred KB
    return out.getvalue()


def test_the_mini_app_route_bounds_what_it_reads(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess], tmp_path: Path
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    bot = make_bot(PUBLIC_URL=public, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port), USER_MAX_ACTIVE_JOBS="1").start()
    # Invisible and direction-changing characters never reach a caption or AceData.
    grid = finished(tg, reply_to(tg, PRIVATE["id"], tg.user_message(
        PRIVATE, ANN, "/imagine a \u202efox\u202c in \u2066snow\u2069\u200b مرحبا --ar 3:2")))  # fmt: skip
    assert grid.caption is not None and "a fox in snow مرحبا --ar 3:2" in grid.caption
    assert imagine_requests(ace, "generate")[0]["prompt"] == "a fox in snow مرحبا --ar 3:2"
    key, picker_id = _picker(tg, "/imagine a queen")
    page = f"{public}/webapp/region/{key}"

    before = peak_rss_mb(bot)
    # Without Telegram's signed sign-in in its headers, a body is not read at all.
    assert flood(page, 256 * MB, declare=False) in (403, None)
    assert flood(page, 256 * MB, declare=True) == 403
    assert flood(f"{public}/webapp/region/forged-key", 256 * MB, declare=True) == 404
    bomb = _bomb()
    answer = httpx.post(page, headers={"Authorization": "tma " + init_data(ANN)}, json={"mask": base64.b64encode(bomb).decode()})
    assert answer.status_code == 400 and answer.json()["error"] == "bad_drawing"
    assert peak_rss_mb(bot) - before < 64, f"memory grew {peak_rss_mb(bot) - before:.0f} MB"

    # The job cap holds for region submits from the picker and from the Mini App.
    ace.steps, ace.step_delay = 3, 1.5
    slow = tg.user_message(PRIVATE, ANN, "/imagine a slow fox")
    ace.wait_for(lambda: any("slow" in str((r["body"] or {}).get("prompt")) for r in ace.requests))
    picker = tg.messages[(PRIVATE["id"], picker_id)]
    tg.press(PRIVATE, ANN, picker_id, data_of(picker, "1"))
    settle(0.3)
    query = tg.press(PRIVATE, ANN, picker_id, data_of(tg.messages[(PRIVATE["id"], picker_id)], "🚀 Submit"))
    assert "in progress" in str(tg.wait_for(lambda: tg.answers.get(query)).get("text"))
    painted = io.BytesIO()
    drawing = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    drawing.paste((255, 255, 255, 255), (0, 0, 100, 100))
    drawing.save(painted, "PNG")
    mini = httpx.post(page, headers={"Authorization": "tma " + init_data(ANN)}, json={"mask": base64.b64encode(painted.getvalue()).decode()})
    assert mini.status_code == 429
    assert not imagine_requests(ace, "variation_region"), "nothing went upstream over the cap"

    # A name of 5,000 characters is a plain 404 (no traceback in the log).
    assert httpx.get(f"{public}/media/{'a' * 5000}.png").status_code == 404
    finished(tg, reply_to(tg, PRIVATE["id"], slow), timeout=20)
    assert "Traceback" not in bot.log()
    # The database and its folder are the bot's alone.
    assert stat.S_IMODE(os.stat(tmp_path / "bot.sqlite3").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "media").st_mode) == 0o700
    # After all that, a normal job still finishes.
    assert finished(tg, reply_to(tg, PRIVATE["id"], tg.user_message(PRIVATE, ANN, "/imagine a calm fox"))).photo


def test_the_callback_route_checks_the_secret_before_reading_and_caps_the_body(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    bot = make_bot(ACEDATA_CALLBACK="true", PUBLIC_URL=public, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port)).start()
    ace.steps, ace.step_delay = 2, 4.0  # the job runs while the attack goes on
    request = tg.user_message(PRIVATE, ANN, "/imagine a called-back fox")
    ace.wait_for(lambda: ace.requests and ace.requests[0]["task_id"], timeout=10)
    url = ace.requests[0]["body"]["callback_url"]
    before = peak_rss_mb(bot)
    started = time.monotonic()
    assert flood(url, 256 * MB, declare=True) == 413
    assert flood(url, 256 * MB, declare=False) in (413, None)
    assert flood(f"{public}/acedata/not-a-secret", 256 * MB, declare=True) == 404
    assert peak_rss_mb(bot) - before < 64, f"memory grew {peak_rss_mb(bot) - before:.0f} MB"
    assert time.monotonic() - started < 30
    assert finished(tg, reply_to(tg, PRIVATE["id"], request), timeout=40).photo


def test_retry_goes_through_the_cap_and_belongs_to_whoever_taps(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    make_bot(USER_MAX_ACTIVE_JOBS="1").start()
    group = FakeTelegram.group()
    ace.fail_next(500, "api_error", "boom", times=2)
    failed = reply_to(tg, group["id"], tg.user_message(group, ANN, "/imagine a failing fox"))
    key = (group["id"], failed.message_id)
    tg.wait_for(lambda: labels(tg.messages[key]) == [["🔁 Retry"]], timeout=15)
    ace.steps, ace.step_delay = 3, 1.5
    busy = tg.user_message(group, ANN, "/imagine a busy fox")
    ace.wait_for(lambda: any("busy" in str((r["body"] or {}).get("prompt")) for r in ace.requests))
    query = tg.press(group, ANN, failed.message_id, data_of(tg.messages[key], "🔁 Retry"))
    assert "in progress" in str(tg.wait_for(lambda: tg.answers.get(query)).get("text"))
    tg.press(group, BOB, failed.message_id, data_of(tg.messages[key], "🔁 Retry"))
    done = finished(tg, failed, timeout=20)
    assert done.caption is not None and "@bob" in done.caption and "@ann" not in done.caption
    finished(tg, reply_to(tg, group["id"], busy), timeout=20)


def test_no_secret_in_the_debug_log(tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]) -> None:
    port = free_port()
    bot = make_bot(LOG_LEVEL="DEBUG", TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", HTTP_HOST="127.0.0.1",
                   HTTP_PORT=str(port)).start()  # fmt: skip
    assert tg.webhook_secret and len(tg.webhook_secret) > 20
    finished(tg, reply_to(tg, PRIVATE["id"], tg.user_message(PRIVATE, ANN, "/imagine a quiet fox")))
    bot.stop()
    log = bot.log()
    assert "DEBUG" in log and tg.webhook_secret not in log

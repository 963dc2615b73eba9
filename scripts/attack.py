"""Replay the hostile-input review's high and medium attacks against a running bot, on loopback only,
and print what they cost (issue 19). Every loop is bounded in count and time.

    python scripts/attack.py            # starts both fakes and the real bot, attacks, prints a table

What it does: the bot runs with PUBLIC_URL and HTTP_PORT on 127.0.0.1 (the Mini App routes open),
a daily limit of 3 and one picker open. Then, one after another:
* memory: 300 concurrent 1.9 MB POSTs with a junk sign-in to the open picker's URL;
* slow bodies: 100 connections that declare 1 MB and send a byte every 2 s, for at most 16 s;
* costly masks: the picker's owner, signed in, sends 8 fully transparent 4096×4096 PNGs;
* picker opens: a user past their daily limit taps Vary (Region) 30 times;
* paid calls: 6 /shorten from a user with a daily limit of 3.
It prints the bot's peak RSS during each and its RSS 5 s after the memory burst.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402
from PIL import Image  # noqa: E402

from tests.fakes import FakeAceData, FakeTelegram  # noqa: E402
from tests.harness import ACEDATA_TOKEN, BOT_TOKEN, BotProcess, bot_env, free_port  # noqa: E402

MB = 1 << 20
OWNER = FakeTelegram.user(61, "Ann", "ann")
OTHER = FakeTelegram.user(62, "Bob", "bob")
CHAT = FakeTelegram.private(OWNER)


class Peak(threading.Thread):
    """Samples a process's RSS every 20 ms until stopped; `peak` in MB."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss / MB)
            time.sleep(0.02)

    def __enter__(self) -> Peak:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()


def _signed(user: dict[str, Any]) -> str:
    fields = {"auth_date": str(int(time.time())), "query_id": "AAE", "user": json.dumps(user)}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", BOT_TOKEN.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def _wait(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("the bot did not answer in time")


def _result(tg: FakeTelegram, chat: dict[str, Any], reply_to: int, label: str) -> Any:
    """The bot's reply to `reply_to` once it carries a `label` button (a finished result)."""
    return _wait(lambda: next((m for m in tg.bot_messages(chat["id"]) if m.reply_to_message_id == reply_to
                               and any(b["text"] == label for row in m.buttons() for b in row)), None), 30)  # fmt: skip


def _data(message: Any, label: str) -> str:
    return next(b["callback_data"] for row in message.buttons() for b in row if b["text"] == label)


def memory_burst(url: str, count: int = 300) -> dict[str, int]:
    junk = "query_id=x&user=%7B%7D&auth_date=1&hash=00"
    body = json.dumps({"init_data": junk, "mask": "A" * int(1.9 * MB)}).encode()
    statuses: dict[str, int] = {}

    def one(_: int) -> None:
        try:
            answer = httpx.post(url, content=body, timeout=30,
                                headers={"Content-Type": "application/json", "Authorization": f"tma {junk}"})  # fmt: skip
            key = str(answer.status_code)
        except httpx.HTTPError as exc:
            key = type(exc).__name__
        statuses[key] = statuses.get(key, 0) + 1

    with ThreadPoolExecutor(100) as pool:
        list(pool.map(one, range(count)))
    return statuses


def slow_bodies(host: str, port: int, path: str, count: int = 100, seconds: float = 16.0) -> int:
    """How many of `count` trickling uploads the server still held open after 12 s."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((host, port), timeout=2)
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {MB}\r\n\r\n".encode())
        sockets.append(sock)
    open_at_12 = 0
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        alive = 0
        for sock in sockets:
            try:
                sock.sendall(b"x")
                alive += 1
            except OSError:
                pass
        if time.monotonic() - began >= 12 and not open_at_12:
            open_at_12 = alive
        time.sleep(2)
    for sock in sockets:
        sock.close()
    return open_at_12


def main() -> int:
    tg, ace = FakeTelegram(BOT_TOKEN), FakeAceData(ACEDATA_TOKEN)
    tg.start()
    ace.start()
    ace.step_delay = 0.05
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        env = bot_env(telegram_url=tg.url, acedata_url=ace.url, data_dir=Path(folder), PUBLIC_URL=public,
                      HTTP_HOST="127.0.0.1", HTTP_PORT=str(port), DAILY_LIMIT_PER_USER="3")  # fmt: skip
        bot = BotProcess(env, Path(folder) / "bot.log").start()
        assert bot.proc is not None
        rows: list[tuple[str, str]] = []
        try:
            grid = _result(tg, CHAT, tg.user_message(CHAT, OWNER, "/imagine a queen"), "U1")
            tg.press(CHAT, OWNER, grid.message_id, _data(grid, "U1"))
            single = _result(tg, CHAT, grid.message_id, "Vary (Region)")
            tg.press(CHAT, OWNER, single.message_id, _data(single, "Vary (Region)"))
            picker = _wait(lambda: next((m for m in tg.bot_messages(CHAT["id"]) if m.reply_to_message_id ==
                                         single.message_id and m.photo and m.buttons()), None))  # fmt: skip
            key = _data(picker, "🚀 Submit").split(":")[1]
            page = f"{public}/webapp/region/{key}"
            base_rss = psutil.Process(bot.proc.pid).memory_info().rss / MB
            rows.append(("RSS at rest", f"{base_rss:.0f} MB"))

            with Peak(bot.proc.pid) as peak:
                statuses = memory_burst(page)
            time.sleep(5)
            after = psutil.Process(bot.proc.pid).memory_info().rss / MB
            rows.append(("memory burst: answers", json.dumps(statuses, sort_keys=True)))
            rows.append(("memory burst: peak RSS / 5 s later", f"{peak.peak:.0f} MB / {after:.0f} MB"))

            with Peak(bot.proc.pid) as peak:
                held = slow_bodies("127.0.0.1", port, f"/webapp/region/{key}")
            rows.append(("slow bodies: still open after 12 s", f"{held} of 100 (peak RSS {peak.peak:.0f} MB)"))

            out = io.BytesIO()
            Image.new("RGBA", (4096, 4096), (0, 0, 0, 0)).save(out, "PNG", optimize=True)
            mask = base64.b64encode(out.getvalue()).decode()
            answers = []
            with Peak(bot.proc.pid) as peak:
                for _ in range(8):
                    answer = httpx.post(page, timeout=30, headers={"Authorization": f"tma {_signed(OWNER)}"},
                                        json={"init_data": _signed(OWNER), "mask": mask})  # fmt: skip
                    answers.append(f"{answer.status_code} {answer.json().get('error', 'ok')}")
            rows.append(("costly masks: answers", ", ".join(answers)))
            rows.append(("costly masks: peak RSS", f"{peak.peak:.0f} MB"))

            bob = FakeTelegram.private(OTHER)  # Bob uses his day up: a grid, an upscale, one more
            first = _result(tg, bob, tg.user_message(bob, OTHER, "/imagine bob's fox"), "U1")
            tg.press(bob, OTHER, first.message_id, _data(first, "U1"))
            bob_single = _result(tg, bob, first.message_id, "Vary (Region)")
            _result(tg, bob, tg.user_message(bob, OTHER, "/imagine bob's last fox"), "U1")
            before = len(tg.bot_messages(bob["id"]))
            for _ in range(30):
                tg.press(bob, OTHER, bob_single.message_id, _data(bob_single, "Vary (Region)"), strict=False)
            time.sleep(3)
            pickers = [m for m in tg.bot_messages(bob["id"])[before:] if m.photo]
            rows.append(("picker opens past the daily limit", f"{len(pickers)} pickers posted for 30 taps"))

            shortens_before = len(ace.shorten_calls)
            carl = FakeTelegram.user(63, "Carl", "carl")
            carl_chat = FakeTelegram.private(carl)
            for n in range(6):
                tg.user_message(carl_chat, carl, f"/shorten a long prompt about foxes number {n}")
                time.sleep(1.0)
            time.sleep(2)
            rows.append(("paid calls: /shorten x6, limit 3", f"{len(ace.shorten_calls) - shortens_before} upstream calls"))
        finally:
            bot.close()
            tg.stop()
            ace.stop()
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

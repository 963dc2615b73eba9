"""Operable as a service, end to end: /healthz and /readyz (503 while starting and while stopping),
/metrics after a job (and 401 without the token), JSON logs, and a clean stop on SIGTERM (a second
one exits at once)."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable

import httpx

from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BotProcess, free_port
from tests.test_e2e_core import finished, reply_to

ANN = FakeTelegram.user(91, "Ann", "ann")
PRIVATE = FakeTelegram.private(ANN)
TOKEN = "metrics-s3cret-token"


class Prober(threading.Thread):
    """Asks /readyz every 20 ms and keeps the answers (status, body) it saw, in order."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.seen, self.done = url, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                answer = httpx.get(self.url, timeout=1)
                if not self.seen or self.seen[-1] != (answer.status_code, answer.text):
                    self.seen.append((answer.status_code, answer.text))
            except httpx.HTTPError:
                pass
            time.sleep(0.02)


def test_health_metrics_json_logs_and_a_clean_stop(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tg.delays["deleteWebhook"] = 1.0  # the last step of starting: the web server answers meanwhile
    bot = make_bot(HTTP_HOST="127.0.0.1", HTTP_PORT=str(port), LOG_FORMAT="json", METRICS_TOKEN=TOKEN,
                   SHUTDOWN_TIMEOUT_SECONDS="10")  # fmt: skip
    prober = Prober(f"{base}/readyz")
    prober.start()
    bot.start()
    tg.wait_for(lambda: (200, "ready") in prober.seen, timeout=10)
    assert prober.seen[0] == (503, "starting"), prober.seen
    assert httpx.get(f"{base}/healthz").status_code == 200

    finished(tg, reply_to(tg, PRIVATE["id"], tg.user_message(PRIVATE, ANN, "/imagine a metered fox")))
    assert httpx.get(f"{base}/metrics").status_code == 401
    scrape = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'mjbot_jobs_finished_total{kind="imagine",outcome="done",reason=""} 1.0' in scrape
    assert 'mjbot_job_duration_seconds_count{kind="imagine"} 1.0' in scrape
    assert 'mjbot_acedata_requests_total{endpoint="imagine",result="ok"} 1.0' in scrape
    assert 'mjbot_telegram_calls_total{method="sendMessage",outcome="ok"}' in scrape

    tg.delays["sendMessage"] = 2.0  # a reply still on its way when the stop begins
    tg.user_message(PRIVATE, ANN, "/help")
    tg.wait_for(lambda: (tg.delays and any(c.method == "sendMessage" for c in tg.calls[-3:])) or True, timeout=1)
    time.sleep(0.3)
    began = time.monotonic()
    assert bot.stop(timeout=15) == 0
    assert time.monotonic() - began < 10, "within SHUTDOWN_TIMEOUT_SECONDS"
    prober.done.set()
    assert (503, "stopping") in prober.seen, prober.seen

    lines = [line for line in bot.log().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    about_the_job = [r for r in records if r.get("job_id") == 1]
    assert about_the_job and all(r.get("chat_id") == PRIVATE["id"] for r in about_the_job)


def test_a_second_signal_stops_at_once(tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]) -> None:
    bot = make_bot(SHUTDOWN_TIMEOUT_SECONDS="30").start()
    tg.delays["sendMessage"] = 20.0  # the clean stop would wait for this reply
    tg.user_message(PRIVATE, ANN, "/help")
    time.sleep(0.5)
    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert bot.proc.poll() is None, "the first SIGTERM stops cleanly: it waits for the reply"
    began = time.monotonic()
    bot.proc.send_signal(signal.SIGTERM)
    assert bot.proc.wait(5) == 1 and time.monotonic() - began < 2, "the second one at once"

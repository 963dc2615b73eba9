"""Nothing lost, end to end: crashes, graceful stops and redelivered updates. The rules for
broken streams, 429s, 5xx and deadlines are unit-tested in test_jobs_runner.py."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BotProcess, settle, stored_jobs
from tests.test_e2e_core import finished, reply_to

USERS = [FakeTelegram.user(100 + i, f"User{i}", f"user{i}") for i in range(10)]
ANN = FakeTelegram.user(11, "Ann", "ann")
PRIVATE = FakeTelegram.private(ANN)


def test_kill_9_during_ten_jobs_resumes_without_resubmitting(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess], tmp_path: Path
) -> None:
    ace.steps, ace.step_delay = 4, 0.6
    bot = make_bot(ACEDATA_MAX_CONCURRENCY="10").start()
    chats = [FakeTelegram.private(u) for u in USERS]
    requests = [
        tg.user_message(chat, user, f"/imagine job {i}")
        for i, (chat, user) in enumerate(zip(chats, USERS, strict=True))
    ]
    # Wait on what the bot has stored, not on what the fake has sent: a line on the wire may not
    # be in the database yet when the bot dies.
    tg.wait_for(lambda: sum(1 for j in stored_jobs(tmp_path) if j["task_id"] and j["message_id"]) == 10,
                timeout=15)  # fmt: skip
    bot.kill()
    bot.start()
    for chat, request in zip(chats, requests, strict=True):
        result = finished(tg, reply_to(tg, chat["id"], request), timeout=30)
        assert result.photo
    assert len(ace.requests) == 10, "every job was submitted exactly once"
    assert ace.task_queries, "the restarted bot asked the tasks API"


def test_sent_without_task_id_is_found_after_restart(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess], tmp_path: Path
) -> None:
    ace.queue_delay = 3.0  # the first line (with the task id) comes late
    bot = make_bot(ACEDATA_POLL_SECONDS="0.3").start()
    request = tg.user_message(PRIVATE, ANN, "/imagine a slow fox")
    # Sent upstream, and its message recorded (a job starts before its message goes out; a kill
    # between Telegram taking a message and SQLite recording it would leave that message behind).
    tg.wait_for(lambda: [j for j in stored_jobs(tmp_path) if j["state"] == "submitting" and j["message_id"]],
                timeout=10)  # fmt: skip
    ace.wait_for(lambda: ace.requests, timeout=10)
    bot.kill()
    bot.start()
    finished(tg, reply_to(tg, PRIVATE["id"], request), timeout=30)
    assert len(ace.requests) == 1, "the task was found upstream, not submitted again"


def test_sigterm_stops_fast_and_the_job_finishes_after_restart(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.steps, ace.step_delay = 4, 0.8
    bot = make_bot(SHUTDOWN_TIMEOUT_SECONDS="5").start()
    request = tg.user_message(PRIVATE, ANN, "/imagine a calm fox")
    ace.wait_for(lambda: any(t["lines"] for t in ace.tasks.values()), timeout=10)
    began = time.monotonic()
    assert bot.stop(timeout=10) == 0
    assert time.monotonic() - began < 5, "within SHUTDOWN_TIMEOUT_SECONDS"
    assert "stopped" in bot.log()
    bot.start()
    finished(tg, reply_to(tg, PRIVATE["id"], request), timeout=20)
    assert len(ace.requests) == 1


def test_redelivered_update_is_handled_once(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    bot = make_bot().start()
    request = tg.user_message(PRIVATE, ANN, "/imagine a single fox")
    finished(tg, reply_to(tg, PRIVATE["id"], request))
    assert bot.stop() == 0
    update_id = max(tg.sent_updates)
    tg.redeliver(update_id)
    bot.start()
    bot.wait_log("handled before")
    settle(0.5)
    assert len(ace.requests) == 1
    assert len([m for m in tg.bot_messages(PRIVATE["id"]) if m.reply_to_message_id == request]) == 1


def test_jobs_queued_locally_are_submitted_after_kill_9(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess], tmp_path: Path
) -> None:
    ace.steps, ace.step_delay = 4, 0.5
    bot = make_bot(ACEDATA_MAX_CONCURRENCY="1").start()
    requests = [tg.user_message(PRIVATE, ANN, f"/imagine queued fox {i}") for i in range(3)]
    ace.wait_for(lambda: len(ace.requests) == 1 and ace.tasks and all(t["lines"] for t in ace.tasks.values()))
    tg.wait_for(lambda: sum(1 for j in stored_jobs(tmp_path) if j["message_id"]) == 3, timeout=10)
    bot.kill()
    bot.start()
    for request in requests:
        finished(tg, reply_to(tg, PRIVATE["id"], request), timeout=30)
    assert len(ace.requests) == 3

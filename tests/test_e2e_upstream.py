"""AceData's real timing and answers, end to end: a silent queue start, an answer dropped before its
first line, both shapes of callback mode's first answer, a configuration error, and a restart that
resumes many tasks with few calls."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.fakes import FakeAceData, FakeTelegram
from tests.harness import BotProcess, free_port, stored_jobs
from tests.test_e2e_core import data_of, finished, labels, reply_to

ANN = FakeTelegram.user(31, "Ann", "ann")
PRIVATE = FakeTelegram.private(ANN)
TASKS_LIMIT = 12


def shown(message: object) -> list[str]:
    return [h["caption"] or h["text"] or "" for h in message.history]  # type: ignore[attr-defined]


def test_a_silent_queue_start_is_not_a_failure(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.queue_delay = 15.0  # Midjourney's queue: far longer than the stall timeout
    make_bot(ACEDATA_STALL_SECONDS="4").start()
    request = tg.user_message(PRIVATE, ANN, "/imagine a patient fox")
    result = finished(tg, reply_to(tg, PRIVATE["id"], request), timeout=45)
    assert len(ace.requests) == 1, "submitted exactly once"
    states = shown(result)
    assert any("In Midjourney" in s and "queue" in s for s in states), states
    assert not any("❌" in s or "Failed" in s or "Interrupted" in s for s in states), states
    assert ace.requests[0]["body"]["timeout"] == 540, "the upstream timeout is sent, derived from the deadline"


@pytest.mark.parametrize("trace_header", [True, False], ids=["by-trace-id", "by-request-and-time"])
def test_an_answer_dropped_before_its_first_line_is_found_not_resent(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess], trace_header: bool
) -> None:
    ace.trace_header = trace_header
    ace.queue_delay = 2.0
    ace.drop_before_first_line(0.3)
    bot = make_bot(ACEDATA_POLL_SECONDS="0.3").start()
    request = tg.user_message(PRIVATE, ANN, "/imagine a dropped fox --ar 3:2")
    result = finished(tg, reply_to(tg, PRIVATE["id"], request), timeout=30)
    assert len(ace.requests) == 1, "never submitted twice"
    assert not any("❌" in s for s in shown(result))
    lookups = [q for q in ace.task_queries if q and q.get("action") == "retrieve_batch"]
    if trace_header:
        assert any(q.get("trace_ids") == [ace.requests[0]["trace_id"]] for q in lookups), lookups
    else:
        assert any("ids" not in q and "trace_ids" not in q and q.get("limit") for q in lookups), lookups
    bot.wait_log("found its task")


def test_a_lost_task_that_is_never_found_is_interrupted_with_retry(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    ace.queue_delay, ace.hide_tasks = 8.0, True
    ace.drop_before_first_line(0.3)
    make_bot(ACEDATA_POLL_SECONDS="0.3", JOB_TIMEOUT_MINUTES="0.1").start()
    request = tg.user_message(PRIVATE, ANN, "/imagine a vanished fox")
    message = reply_to(tg, PRIVATE["id"], request)
    key = (PRIVATE["id"], message.message_id)
    tg.wait_for(lambda: labels(tg.messages[key]) == [["🔁 Retry"]], timeout=20)
    text = tg.messages[key].rendered()[0] or ""
    assert "not sent again" in text and "Interrupted" in text
    assert len(ace.requests) == 1
    ace.queue_delay, ace.hide_tasks = 0.0, False
    tg.press(PRIVATE, ANN, message.message_id, data_of(tg.messages[key], "🔁 Retry"))
    finished(tg, message, timeout=20)
    assert len(ace.requests) == 2


@pytest.mark.parametrize("answer", ["object", "ndjson"])
def test_callback_mode_reads_either_first_answer(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess], answer: str
) -> None:
    ace.callback_answer = answer
    ace.queue_delay = 1.0
    port = free_port()
    bot = make_bot(ACEDATA_CALLBACK="true", PUBLIC_URL=f"http://127.0.0.1:{port}", HTTP_HOST="127.0.0.1",
                   HTTP_PORT=str(port)).start()  # fmt: skip
    request = tg.user_message(PRIVATE, ANN, f"/imagine a {answer} fox")
    ace.wait_for(lambda: ace.requests, timeout=10)
    url = ace.requests[0]["body"]["callback_url"]
    unreadable = httpx.post(url, content=b'{"trace_id": "tr-garbled", "progress": ')
    assert unreadable.status_code == 400, "the job exists: an unreadable body is 400, not ignored"
    bot.wait_log("tr-garbled")
    finished(tg, reply_to(tg, PRIVATE["id"], request), timeout=30)
    assert len(ace.requests) == 1, "a multi-line answer is never a reason to submit again"
    assert ace.requests[0]["accept"] == "application/x-ndjson" and ace.requests[0]["body"]["callback_url"]


def test_token_mismatched_is_not_available_for_users_and_explained_to_the_operator(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess]
) -> None:
    bot = make_bot().start()
    ace.fail_next(400, "token_mismatched", "Token belongs to the Suno API, not Midjourney")
    request = tg.user_message(PRIVATE, ANN, "/imagine a fox")
    message = reply_to(tg, PRIVATE["id"], request)
    key = (PRIVATE["id"], message.message_id)
    text = tg.wait_for(lambda: (tg.messages[key].rendered()[0] or "") if "❌" in (tg.messages[key].rendered()[0]
                       or "") else None, timeout=15)  # fmt: skip
    assert "not available" in text and "Suno" not in text and "token" not in text.lower()
    bot.wait_log("needs the operator")
    log = bot.log()
    assert "token_mismatched" in log and ace.requests[0]["trace_id"] in log
    assert "ACEDATA_API_TOKEN" in log, "the log says what to fix"


def test_a_restart_resumes_twenty_tasks_with_batched_calls(
    tg: FakeTelegram, ace: FakeAceData, make_bot: Callable[..., BotProcess], tmp_path: Path
) -> None:
    ace.steps, ace.step_delay = 3, 0.7
    bot = make_bot(ACEDATA_MAX_CONCURRENCY="20", ACEDATA_SUBMIT_INTERVAL="0").start()
    users = [FakeTelegram.user(400 + i, f"U{i}", f"u{i}") for i in range(20)]
    chats = [FakeTelegram.private(user) for user in users]
    requests = [tg.user_message(chat, user, f"/imagine fox {i}") for i, (chat, user) in
                enumerate(zip(chats, users, strict=True))]  # fmt: skip
    tg.wait_for(lambda: len([j for j in stored_jobs(tmp_path) if j["task_id"] and j["message_id"]]) == 20,
                timeout=20)  # fmt: skip
    bot.kill()
    ace.wait_for(lambda: all(t["state"] == "finished" for t in ace.tasks.values()), timeout=20)
    with ace._lock:
        ace.task_queries.clear()
    bot.start()
    for chat, request in zip(chats, requests, strict=True):
        assert finished(tg, reply_to(tg, chat["id"], request), timeout=30).photo
    assert len(ace.requests) == 20
    queries = [q for q in ace.task_queries if q is not None]
    assert queries and all(q["action"] == "retrieve_batch" for q in queries), queries
    assert len(queries) <= math.ceil(20 / TASKS_LIMIT), len(queries)
    assert all(len(q["ids"]) <= q["limit"] <= TASKS_LIMIT for q in queries), queries

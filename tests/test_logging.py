"""Logging (bot/__main__.py, bot/runtime/logcontext.py): text or JSON, secrets redacted in both,
whatever logger writes them, and a job's lines carry its ids."""

from __future__ import annotations

import contextvars
import io
import json
import logging

import pytest

from bot.__main__ import configure_logging, secrets_of
from bot.config import Settings
from bot.runtime import logcontext

SECRETS = {
    "TELEGRAM_BOT_TOKEN": "123456:bot-token-never-shown",
    "ACEDATA_API_TOKEN": "acedata-token-never-shown",
    "ACEDATA_PLATFORM_TOKEN": "platform-token-never-shown",
    "TELEGRAM_WEBHOOK_SECRET": "webhook-secret-never-shown",
    "METRICS_TOKEN": "metrics-token-never-shown",
    "DATABASE_URL": "postgresql://bot:db-password-never-shown@db.example.com:5432/bot",
}
HIDDEN = [*SECRETS.values(), "db-password-never-shown"]  # the database's password on its own too
LOGGERS = ("bot", "bot.jobs.runner", "bot.telegram.notifier", "telegram.ext.Application", "httpx", "hypercorn",
           "aiosqlite", "root")  # fmt: skip


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_secret_reaches_the_log(monkeypatch: pytest.MonkeyPatch, log_format: str) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LOG_FORMAT", log_format)
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert sorted(secrets_of(settings)) == sorted(HIDDEN)
    out = io.StringIO()
    configure_logging(settings, out)
    try:
        for name in LOGGERS:
            logger = logging.getLogger(None if name == "root" else name)
            for secret in HIDDEN:
                logger.warning("calling https://api.telegram.org/bot%s/getMe", secret)
                logger.error("an error quoting %s", secret, exc_info=ValueError(f"url with {secret}"))
                logger.warning(f"formatted in: {secret}")
    finally:
        logging.basicConfig(handlers=[logging.NullHandler()], force=True)
    written = out.getvalue()
    assert written.count("<redacted>") >= len(LOGGERS) * len(HIDDEN) * 3 - 20  # httpx/aiosqlite log WARNING+
    for secret in HIDDEN:
        assert secret not in written
    if log_format == "json":
        assert all(json.loads(line) for line in written.splitlines())


def test_json_lines_carry_what_they_are_about(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:t")
    monkeypatch.setenv("ACEDATA_API_TOKEN", "a")
    monkeypatch.setenv("LOG_FORMAT", "json")
    out = io.StringIO()
    configure_logging(Settings(_env_file=None), out)  # type: ignore[call-arg]

    def log_two_lines() -> None:
        logging.getLogger("bot.x").info("before")
        logcontext.bind(job_id=7, chat_id=-100, task_id=None)
        logging.getLogger("bot.x").info("during")

    try:
        contextvars.copy_context().run(log_two_lines)  # the binding stays in that context
    finally:
        logging.basicConfig(handlers=[logging.NullHandler()], force=True)
    before, during = (json.loads(line) for line in out.getvalue().splitlines())
    assert set(before) == {"time", "level", "logger", "message"}
    assert (during["job_id"], during["chat_id"], during["level"], during["message"]) == (7, -100, "INFO", "during")
    assert "task_id" not in during


def test_each_job_begins_a_context_of_its_own() -> None:
    """A worker runs one job after another: the next job's lines never carry the last one's ids."""

    def worker() -> tuple[dict[str, object], dict[str, object]]:
        first = logcontext.begin(job_id=1, task_id="task-A", trace_id="trace-A")
        logcontext.end(first)
        second = logcontext.begin(job_id=2)
        record = logging.LogRecord("bot", logging.INFO, "", 0, "x", None, None)
        logcontext.ContextFilter().filter(record)
        logcontext.end(second)
        detached = logcontext.detached()
        shared = logging.LogRecord("bot", logging.INFO, "", 0, "x", None, None)
        detached.run(logcontext.ContextFilter().filter, shared)
        return vars(record), vars(shared)

    seen, shared = contextvars.copy_context().run(worker)
    assert (seen["job_id"], seen["task_id"], seen["trace_id"]) == (2, None, None)
    assert shared["job_id"] is None, "a task shared by many jobs speaks for none of them"

"""Runs the real bot (`python -m bot`) as a subprocess against the fake servers."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes import wait_for

BOT_TOKEN = "123456789:TEST-bot-token-do-not-leak-0123456789"
ACEDATA_TOKEN = "ace-test-token"
READY = "is up"
REPO_ROOT = Path(__file__).resolve().parents[1]
COVERAGE_HOOK = REPO_ROOT / "tests" / "coverage_hook"


def _coverage_env() -> dict[str, str]:
    """While coverage is measured (COVERAGE_PROCESS_START names its configuration; see the README,
    "Test it"), what a bot subprocess needs to measure itself too: the configuration and the data
    file as absolute paths (the bot runs in another folder). Resolved once, where pytest started."""
    config = os.environ.get("COVERAGE_PROCESS_START")
    if not config:
        return {}
    data_file = os.environ.get("COVERAGE_FILE") or str(Path(config).resolve().parent / ".coverage")
    return {
        "COVERAGE_PROCESS_START": str(Path(config).resolve()),
        "COVERAGE_FILE": str(Path(data_file).resolve()),
    }


COVERAGE_ENV = _coverage_env()


def bot_pythonpath() -> str:
    """PYTHONPATH for a `python -m bot` subprocess: this checkout's bot (unless PYTHONPATH names
    another on purpose), whichever copy happens to be pip-installed, and coverage's start-up hook
    first while coverage is measured."""
    parts = [str(COVERAGE_HOOK)] if COVERAGE_ENV else []
    parts += [p for p in (os.environ.get("PYTHONPATH", ""), str(REPO_ROOT)) if p]
    return os.pathsep.join(parts)


class BotProcess:
    """One run of the bot; `start()` again after `stop()`/`kill()` for a restart on the same data."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def start(self, ready: bool = True) -> BotProcess:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.env.get("BOT_CWD"),
            )  # fmt: skip
        if ready:
            self.wait_log(READY, timeout=20)
        return self

    def log(self, *, this_run: bool = False) -> str:
        if not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()
        return (
            data[self._log_offset :].decode("utf-8", "replace")
            if this_run
            else data.decode("utf-8", "replace")
        )

    def wait_log(self, text: str, timeout: float = 10.0) -> None:
        def seen() -> bool:
            if self.proc is not None and self.proc.poll() is not None and text not in self.log(this_run=True):
                raise AssertionError(f"bot exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            return text in self.log(this_run=True)

        wait_for(seen, timeout, describe=lambda: self.log()[-3000:])

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"bot did not stop within {timeout}s:\n{self.log()[-3000:]}") from None

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            if "COVERAGE_PROCESS_START" in self.env:  # a killed bot would not write its coverage data
                self.proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(10)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def bot_env(*, telegram_url: str, acedata_url: str, data_dir: Path, **overrides: str) -> dict[str, str]:
    """A clean environment for the bot: fast pacing for tests, fakes' URLs, no inherited secrets."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if k in {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "SYSTEMROOT"}
    }
    env = {
        **keep,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram_url,
        "ACEDATA_API_TOKEN": ACEDATA_TOKEN,
        "ACEDATA_API_URL": acedata_url,
        "ACEDATA_PLATFORM_URL": acedata_url,
        "DATABASE_PATH": str(data_dir / "bot.sqlite3"),
        "ACEDATA_SUBMIT_INTERVAL": "0.05",
        "ACEDATA_BUSY_BACKOFF": "0.2",
        "ACEDATA_POLL_SECONDS": "0.3",
        "ACEDATA_RETRY_SECONDS": "0.1",
        "QUEUE_REFRESH_SECONDS": "0.2",
        "ALBUM_WAIT_SECONDS": "0.5",
        "PROGRESS_EDIT_INTERVAL": "0.2",
        "TELEGRAM_CHAT_INTERVAL": "0.02",
        "TELEGRAM_GROUP_PER_MINUTE": "1000",
        "TELEGRAM_GLOBAL_PER_SECOND": "1000",
        "LOG_LEVEL": "INFO",
        "ALLOW_PRIVATE_URLS": "true",  # the fakes serve pictures on loopback
        "BOT_CWD": str(data_dir),
        "PYTHONPATH": bot_pythonpath(),
        "PYTHONUNBUFFERED": "1",
        **COVERAGE_ENV,
    }
    env.update(overrides)
    return env


def free_port() -> int:
    """A port for the bot's web server. Drawn at random below the kernel's ephemeral range (from
    which the fakes and every outgoing connection take theirs), so it is not handed out again
    between this check and the bot binding it; a bot that still finds it taken exits with 2."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def settle(seconds: float = 0.3) -> None:
    """For asserting that something does NOT happen: give the bot a moment to (not) do it."""
    time.sleep(seconds)


def stored_jobs(data_dir: Path) -> list[dict[str, object]]:
    """The bot's jobs as its database holds them now (read-only; the bot may be writing). Tests wait
    on this, not on what a fake has sent: the bot may not have stored it yet."""
    uri = f"file:{data_dir / 'bot.sqlite3'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM jobs ORDER BY id")]

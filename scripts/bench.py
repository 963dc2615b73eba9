"""Benchmark the bot's own cost under load, against Telegram's limits (issue 6).

Run from the repository root::

    python scripts/bench.py                  # 200 jobs over 20 chats, 10 s generations (~25-65 s)
    python scripts/bench.py --jobs 1000      # the memory / event-loop target (100 chats, ~75 s)
    python scripts/bench.py --flood-every 7 --retry-after 3   # with simulated flood control
    python scripts/bench.py --json --strict  # the table, one JSON object; exit 1 on a missed target

To measure a candidate change of the bot without touching the tree, put a patched copy first on
PYTHONPATH (the bot subprocess imports `bot` from there): `PYTHONPATH=/tmp/copy python scripts/bench.py`.
`--bot-env KEY=VALUE` passes any other setting to the bot.

What it does: starts the fake Telegram Bot API and the fake AceData (tests/fakes, each in a thread
of this process), starts the real bot (`python -m bot`, a subprocess) with production pacing
(PROGRESS_EDIT_INTERVAL=5, TELEGRAM_CHAT_INTERVAL=1, TELEGRAM_GROUP_PER_MINUTE=20,
TELEGRAM_GLOBAL_PER_SECOND=30; flags change them) but no upstream bottleneck
(ACEDATA_MAX_CONCURRENCY = jobs, ACEDATA_SUBMIT_INTERVAL=0, USER_MAX_ACTIVE_JOBS never refusing),
then sends `--jobs` `/imagine` messages spread round-robin over `--chats` chats (half groups with
negative ids, half private chats) and waits until every job's final image is on its message.

Load shape, and why:
* The `/imagine` messages arrive evenly over `--ramp-seconds` (default 5 s). Not all in the same
  millisecond: 200 people do not press Enter together, and one giant burst would measure how one
  getUpdates batch is handled rather than the cost per job. Not wider: with 10 s generations a 5 s
  ramp still keeps every job in flight at once (the issue asks for N *concurrent* jobs).
* `--chats` defaults to 20, and to jobs/10 above 200 jobs, so every chat carries 10 jobs as in the
  default run. Telegram limits each chat (1 call/s, 20/min in a group), so 1,000 jobs in 20 chats
  would measure those limits for ~5 minutes (50 first messages + 50 results per group at 20/min),
  not the bot.
* Each generation takes `--gen-seconds` upstream and emits `--steps` progress lines before the
  final one, evenly spaced (the fake's `steps` and `step_delay = gen / (steps + 1)`); previews
  stay fetchable (`preview_ttl = None`).

Measurements (one clock, `time.monotonic()` of this process, shared by both fakes; the fake
AceData records `finished_at` in wall-clock time, so `_BenchAceData` stamps the final line itself):
* added latency: upstream final line emitted -> arrival at the fake Telegram of the first
  successful sendPhoto/editMessageMedia carrying that final image URL; p50/p99/max, also split by
  groups / private chats.
  "beyond Telegram pacing" subtracts what the limits forced given the bot's earlier calls (the
  previous call into the chat + TELEGRAM_CHAT_INTERVAL, the group's per-minute window, the
  bot-wide per-second budget, a running retry_after); "late > 20 ms" names the binding reason of
  each late result. What remains is time the bot itself added.
* Telegram calls / edits per job (mean, max), attributed through the request a message replies
  to and the message an edit targets; getUpdates, getMe, setMyCommands, deleteWebhook and
  answerCallbackQuery are not counted. Target: calls per job <= 2 + ceil(gen seconds / 6).
* pacing as received: same-chat calls closer than the chat interval, most calls into one group in
  any 60 s, most calls bot-wide in any 1 s (give or take `SLACK`; informational: the bot may send
  two calls into a chat within the same second, a burst Telegram allows).
* 429s received; calls made while a retry_after was running (the fake's `violations`).
* pacing compliance: the fake Telegram enforces the limits the bot is given (Telegram's, unless
  flags change them: one call per chat interval in bursts of 2, the group minute, the bot-wide
  second) as Telegram does, answering 429 to a call over them. Compliant means no call went over
  a limit (the fake's `over_limit`) and none was made inside a retry_after.
* peak RSS of the bot (psutil, every 100 ms) and its CPU time.
* the longest event-loop stall, parsed from the bot's shutdown line (logger bot.runtime.loopwatch), and
  the number of "event loop stalled" warnings.
* jobs lost: no final image in Telegram by `--timeout` s after the last request (default: twice
  what the limits need for this load + 30 s).

Caveat: both fakes run in this process, so at 1,000 jobs they add a few ms of jitter to the
times they stamp. `--dump` writes every job and call for a closer look.

Exit status: 1 when jobs were lost (always), or when `--strict` is given and a target is missed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from scripts.bench_report import (  # noqa: E402
    NOT_COUNTED,
    BenchReport,
    JobRecord,
    analyse,
    reply_target,
    shown_url,
    table,
    to_json,
)
from tests.fakes import Call, FakeAceData, FakeTelegram  # noqa: E402
from tests.harness import ACEDATA_TOKEN, BOT_TOKEN, BotProcess, bot_env  # noqa: E402


# == the fakes, as the benchmark needs them =====================================================
class _BenchAceData(FakeAceData):
    """The fake AceData, also stamping the final line with this process' monotonic clock
    (the fake itself records `finished_at` in wall-clock time)."""

    def _emit(self, task_id: str, line: dict[str, Any], *, final: bool) -> None:
        if final:
            with self._lock:
                self.tasks[task_id]["final_monotonic"] = time.monotonic()
        super()._emit(task_id, line, final=final)


class _RssSampler(threading.Thread):
    """Peak resident memory of one process, polled every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop_event = threading.Event()
        self.peak = 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.peak = max(self.peak, self._process.memory_info().rss)
            except psutil.Error:
                return
            self._stop_event.wait(self._interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join(2)
        return self.peak


# == options ====================================================================================
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure the bot's own cost under load (see the module docstring).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--jobs", type=int, default=200, help="concurrent /imagine jobs")
    parser.add_argument(
        "--chats",
        type=int,
        default=None,
        help="chats, half groups and half private (default: 20, or jobs/10 above 200 jobs)",
    )
    parser.add_argument("--gen-seconds", type=float, default=10.0, help="upstream generation time per job")
    parser.add_argument("--steps", type=int, default=4, help="progress lines before the final one")
    parser.add_argument("--ramp-seconds", type=float, default=5.0, help="spread the requests over this")
    parser.add_argument("--flood-every", type=int, default=0, help="every N-th send/edit per chat gets 429")
    parser.add_argument("--retry-after", type=int, default=3, help="retry_after of those 429s (seconds)")
    parser.add_argument("--edit-interval", type=float, default=5.0, help="PROGRESS_EDIT_INTERVAL")
    parser.add_argument("--chat-interval", type=float, default=1.0, help="TELEGRAM_CHAT_INTERVAL")
    parser.add_argument("--group-per-minute", type=int, default=20, help="TELEGRAM_GROUP_PER_MINUTE")
    parser.add_argument("--global-per-second", type=int, default=30, help="TELEGRAM_GLOBAL_PER_SECOND")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds after the last request before a job counts as lost "
        "(default: twice what Telegram's limits need for this load, plus 30 s)",
    )
    parser.add_argument(
        "--bot-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the bot (repeatable), e.g. to try a setting or to profile",
    )
    parser.add_argument("--log", type=Path, default=None, help="keep the bot's log at this path")
    parser.add_argument("--dump", type=Path, default=None, help="write every job and call as JSON here")
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON object")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any target is missed")
    opts = parser.parse_args(argv)
    if opts.chats is None:
        opts.chats = max(20, math.ceil(max(opts.jobs, 1) / 10))
    if opts.jobs < 1 or opts.chats < 1 or opts.steps < 0 or opts.gen_seconds <= 0:
        parser.error("--jobs and --chats must be >= 1, --steps >= 0, --gen-seconds > 0")
    if opts.group_per_minute < 1 or opts.global_per_second < 1 or opts.chat_interval < 0:
        parser.error("--group-per-minute and --global-per-second must be >= 1, --chat-interval >= 0")
    if any("=" not in item for item in opts.bot_env):
        parser.error("--bot-env takes KEY=VALUE")
    if opts.timeout is None:
        opts.timeout = 2 * _minimum_seconds(opts) + 30
    return opts


def _minimum_seconds(opts: argparse.Namespace) -> float:
    """A lower bound on the run: generation plus sending 2 calls per job (first message, final)
    within the per-chat, per-group-minute and bot-wide limits (progress edits not counted)."""
    per_chat = 2 * math.ceil(opts.jobs / max(opts.chats, 1))
    drain = max(
        per_chat * opts.chat_interval,
        60.0 * ((per_chat - 1) // opts.group_per_minute) if opts.chats > 1 else 0.0,
        2 * opts.jobs / opts.global_per_second,
    )
    return float(opts.gen_seconds + drain)


# == the run ====================================================================================
def _chats(count: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(chat, its users): half groups (negative ids), half private chats (positive ids)."""
    groups = count // 2
    chats: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for i in range(groups):
        users = [FakeTelegram.user(7000 + 10 * i + k, f"Member{i}-{k}", f"member_{i}_{k}") for k in range(3)]
        chats.append((FakeTelegram.group(-1001000000 - i, f"Bench group {i}"), users))
    for i in range(count - groups):
        user = FakeTelegram.user(5000 + i, f"User{i}", f"user_{i}")
        chats.append((FakeTelegram.private(user), [user]))
    return chats


class _Tracker:
    """Follows both fakes' records incrementally while the load runs."""

    def __init__(self, tg: FakeTelegram, ace: _BenchAceData, jobs: list[JobRecord]) -> None:
        self._tg = tg
        self._ace = ace
        self._by_prompt = {f"bench job {job.n}": job for job in jobs}
        self._by_url: dict[str, JobRecord] = {}
        self._pending_tasks: set[str] = set()
        self._known_tasks: set[str] = set()
        self._call_cursor = 0
        self._unmatched: list[Call] = []
        self._wall_offset = time.time() - time.monotonic()
        self.shown = 0

    def poll(self) -> None:
        for task_id, task in list(self._ace.tasks.items()):
            if task_id not in self._known_tasks:
                self._known_tasks.add(task_id)
                job = self._by_prompt.get(str((task.get("request") or {}).get("prompt")))
                if job is not None and job.task_id is None:
                    job.task_id = task_id
                    self._pending_tasks.add(task_id)
        for task_id in list(self._pending_tasks):
            task = self._ace.tasks[task_id]
            if task.get("finished_at") is None:
                continue
            self._pending_tasks.discard(task_id)
            response = task.get("response") or {}
            job = self._by_prompt[str(task["request"].get("prompt"))]
            stamped = task.get("final_monotonic")
            job.final_t = stamped if stamped is not None else task["finished_at"] - self._wall_offset
            if response.get("success") and response.get("image_url"):
                job.final_url = str(response["image_url"])
                self._by_url[job.final_url] = job
        calls = self._tg.calls[self._call_cursor :]
        self._call_cursor += len(calls)
        unmatched: list[Call] = []
        for call in self._unmatched + calls:
            url = shown_url(call)
            if url is None:
                continue
            job = self._by_url.get(url)
            if job is None:
                unmatched.append(call)  # raced our view of the task (or not a job's result)
            elif job.shown_t is None or call.t < job.shown_t:
                if job.shown_t is None:
                    self.shown += 1
                job.shown_t = call.t
        self._unmatched = unmatched[-10_000:]


def run(opts: argparse.Namespace) -> BenchReport:
    groups = opts.chats // 2
    results = BenchReport(
        jobs=opts.jobs, chats=opts.chats, groups=groups, gen_seconds=opts.gen_seconds, steps=opts.steps,
        ramp_seconds=opts.ramp_seconds, flood_every=opts.flood_every, group_per_minute=opts.group_per_minute,
        global_per_second=opts.global_per_second,
    )  # fmt: skip
    chats = _chats(opts.chats)
    jobs = [JobRecord(n, int(chats[n % len(chats)][0]["id"])) for n in range(opts.jobs)]
    with tempfile.TemporaryDirectory(prefix="mj-bench-") as tmp:
        data_dir = Path(tmp)
        tg = FakeTelegram(BOT_TOKEN)
        ace = _BenchAceData(ACEDATA_TOKEN)
        ace.steps = opts.steps
        ace.step_delay = opts.gen_seconds / (opts.steps + 1)
        ace.preview_ttl = None  # previews stay fetchable
        bot: BotProcess | None = None
        tg.start()
        ace.start()
        try:
            if opts.flood_every:
                tg.flood_every(opts.flood_every, opts.retry_after)
            tg.enforce_limits = True
            tg.chat_interval = opts.chat_interval
            tg.group_per_minute = opts.group_per_minute
            tg.global_per_second = opts.global_per_second
            env = bot_env(
                telegram_url=tg.url,
                acedata_url=ace.url,
                data_dir=data_dir,
                ACEDATA_MAX_CONCURRENCY=str(min(max(opts.jobs, 1), 1000)),
                ACEDATA_SUBMIT_INTERVAL="0",
                ACEDATA_BUSY_BACKOFF="5",
                # a private chat is one user: never refuse its share of the load (the cap's check
                # itself stays on, as in production)
                USER_MAX_ACTIVE_JOBS=str(max(10, math.ceil(opts.jobs / opts.chats))),
                PROGRESS_EDIT_INTERVAL=str(opts.edit_interval),
                TELEGRAM_CHAT_INTERVAL=str(opts.chat_interval),
                TELEGRAM_GROUP_PER_MINUTE=str(opts.group_per_minute),
                TELEGRAM_GLOBAL_PER_SECOND=str(opts.global_per_second),
                LOG_LEVEL="INFO",
            )
            env.update(item.split("=", 1) for item in opts.bot_env)
            bot = BotProcess(env, data_dir / "bot.log").start()
            assert bot.proc is not None
            pid = bot.proc.pid
            sampler = _RssSampler(pid)
            sampler.start()
            tracker = _Tracker(tg, ace, jobs)

            began = time.monotonic()
            gap = opts.ramp_seconds / opts.jobs if opts.jobs > 1 else 0.0
            for job in jobs:
                delay = began + job.n * gap - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                chat, users = chats[job.n % len(chats)]
                user = users[(job.n // len(chats)) % len(users)]
                job.request_t = time.monotonic()
                job.request_id = tg.user_message(chat, user, f"/imagine bench job {job.n}")
                if job.n % 50 == 0:
                    tracker.poll()
            deadline = time.monotonic() + opts.timeout
            while tracker.shown < len(jobs) and time.monotonic() < deadline:
                time.sleep(0.05)
                tracker.poll()
            results.wall_seconds = time.monotonic() - began
            time.sleep(1.0)  # late calls (there should be none) still count against the budget
            tracker.poll()
            try:
                cpu = psutil.Process(pid).cpu_times()
                results.cpu_seconds = cpu.user + cpu.system
            except psutil.Error:
                pass
            results.peak_rss_mb = sampler.stop() / 2**20
            results.bot_exit = bot.stop(timeout=30)
            log = bot.log()
        finally:
            if bot is not None:
                if opts.log is not None and bot.log_path.exists():
                    opts.log.write_bytes(bot.log_path.read_bytes())
                bot.close()
            tg.stop()
            ace.stop()
    analyse(results, opts, tg, jobs, log)
    if opts.dump is not None:
        _dump(opts.dump, tg, jobs)
    return results


def _dump(path: Path, tg: FakeTelegram, jobs: list[JobRecord]) -> None:
    """Raw records for a closer look: every job and every counted call (times in seconds)."""
    calls = [
        {
            "method": c.method, "chat_id": c.chat_id, "t": c.t, "status": c.status,
            "message_id": c.params.get("message_id"), "reply_to": reply_target(c), "url": shown_url(c),
        }
        for c in tg.calls
        if c.method not in NOT_COUNTED
    ]  # fmt: skip
    path.write_text(json.dumps({"jobs": [asdict(job) for job in jobs], "calls": calls}))


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    results = run(opts)
    print(table(results))
    if opts.json:
        print(to_json(results))
    if results.lost:
        return 1
    return 1 if opts.strict and not results.passed else 0


if __name__ == "__main__":
    sys.exit(main())

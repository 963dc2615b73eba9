"""Benchmark the bot's own cost under load, against Telegram's limits (issue 6).

Run from the repository root::

    python scripts/bench.py                  # 200 jobs over 20 chats, 10 s generations (~25-65 s)
    python scripts/bench.py --jobs 1000      # the memory / event-loop target (100 chats, ~75 s)
    python scripts/bench.py --flood-every 7 --retry-after 3   # with simulated flood control
    python scripts/bench.py --json --strict  # the table, one JSON object; exit 1 on a missed target
    python scripts/bench.py --database-url auto               # one bot on a throwaway PostgreSQL
    python scripts/bench.py --replicas 3 --database-url auto  # three replicas behind a balancer

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

Database and replicas: SQLite by default (the bot's own file). `--database-url postgresql://...`
puts the bot on that PostgreSQL database (it should be empty: the bot migrates it, and the
transactions are counted database-wide); `--database-url auto` starts a throwaway server for the
run (tests/postgres.py: Debian's `postgresql` binaries, durability off) and creates a fresh
database in it. `--replicas N` (N > 1, PostgreSQL only: SQLite is one process) runs N bot
processes as tests/test_e2e_replicas.py does: webhook mode (TELEGRAM_WEBHOOK_URL, one shared
TELEGRAM_WEBHOOK_SECRET, PUBLIC_URL, each its own HTTP_PORT, REPLICA_ID and data folder) behind
the round-robin proxy (tests/fakes/proxy.py), to which the fake Telegram pushes the updates one
by one as Telegram does. In long polling only one replica would take updates (the others wait on
an advisory lock), so one replica always long-polls, as without these flags. The fake Telegram
sees every replica's calls together, as Telegram does: its limits count per bot token, so the
pacing figures below are the cluster's.

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
  to and the message an edit targets; getUpdates, getMe, setMyCommands, deleteWebhook,
  setWebhook, getWebhookInfo and answerCallbackQuery are not counted. Target: calls per job
  <= 2 + ceil(gen seconds / 6).
* pacing as received: same-chat calls closer than the chat interval, most calls into one group in
  any 60 s, most calls bot-wide in any 1 s (give or take `SLACK`; informational: the bot may send
  two calls into a chat within the same second, a burst Telegram allows).
* 429s received; calls made while a retry_after was running (the fake's `violations`).
* pacing compliance: the fake Telegram enforces the limits the bot is given (Telegram's, unless
  flags change them: one call per chat interval in bursts of 2, the group minute, the bot-wide
  second) as Telegram does, answering 429 to a call over them. Compliant means no call went over
  a limit (the fake's `over_limit`) and none was made inside a retry_after.
* peak RSS of the bot (psutil, every 100 ms; with replicas, the highest replica's and the sum of
  their peaks) and its CPU time (user + system, summed over the replicas; and per job). Start-up
  and shutdown are included in the peak, not in the CPU time (read before the bots stop).
* database transactions per job (PostgreSQL only): `xact_commit + xact_rollback` of the bench's
  database in `pg_stat_database`, read just before the first request and again once the bots
  have stopped and their connections are gone, divided by the jobs. Read then because each
  backend reports its counts lazily (PostgreSQL 15 holds them up to 10 s; all of them on exit):
  a read while the bots run misses the last seconds. Everything in between counts: the replicas'
  background work (leases, the polling lock; ~0.3 a second each when idle), autovacuum, the reads
  themselves (2 each), and at the edges what was not yet reported of each replica's start-up
  (~20) and its shutdown (~4): ~0.1 per job per replica at 200 jobs. "n/a" on SQLite.
* with replicas: jobs submitted by each (its log's "submitting" lines) and the webhook requests
  the proxy passed to each; on any database, upstream tasks beyond one per job (a job submitted
  twice; the job's figures follow its first task).
* the longest event-loop stall, parsed from the bot's shutdown line (logger bot.runtime.loopwatch), and
  the number of "event loop stalled" warnings.
* jobs lost: no final image in Telegram by `--timeout` s after the last request (default: twice
  what the limits need for this load + 30 s), whichever replica handled it.
* the bots' logs run together (`--log`), each after a "--- replica rN ---" line when there are
  several; stall and ERROR figures cover them all (the longest stall is the worst replica's).

Caveat: both fakes (and the proxy) run in this process, so at 1,000 jobs they add a few ms of
jitter to the times they stamp; so does a throwaway PostgreSQL, sharing the machine's cores.
`--dump` writes every job and call for a closer look.

Exit status: 1 when jobs were lost (always), or when `--strict` is given and a target is missed;
2 when `--database-url auto` finds no PostgreSQL to run.
"""

from __future__ import annotations

import argparse
import contextlib
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
import psycopg  # noqa: E402

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
from tests.fakes.proxy import RoundRobinProxy  # noqa: E402
from tests.harness import ACEDATA_TOKEN, BOT_TOKEN, READY, BotProcess, bot_env, free_port  # noqa: E402

WEBHOOK_SECRET = "bench-replica-secret"  # the same on every replica, as the bot requires
XACTS = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
OTHER_BACKENDS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
SUBMIT_LINE = ": submitting "


class DatabaseUnavailable(RuntimeError):
    """`--database-url auto` could not start PostgreSQL here; the message says why."""


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
        "--replicas",
        type=int,
        default=1,
        help="bot processes; above 1, in webhook mode behind a round-robin proxy (needs --database-url)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        metavar="URL",
        help="postgresql://... for the bot's DATABASE_URL, or 'auto' for a throwaway PostgreSQL server "
        "(default: SQLite)",
    )
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
    if opts.replicas < 1:
        parser.error("--replicas must be >= 1")
    if opts.replicas > 1 and not opts.database_url:
        parser.error("--replicas above 1 needs --database-url (SQLite is one process's)")
    if (
        opts.database_url
        and opts.database_url != "auto"
        and not opts.database_url.startswith(("postgresql://", "postgres://"))
    ):
        parser.error("--database-url takes postgresql://... or auto")
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
        self.duplicate_submits = 0  # upstream tasks for a job that already had one

    def poll(self) -> None:
        for task_id, task in list(self._ace.tasks.items()):
            if task_id not in self._known_tasks:
                self._known_tasks.add(task_id)
                job = self._by_prompt.get(str((task.get("request") or {}).get("prompt")))
                if job is not None and job.task_id is None:
                    job.task_id = task_id
                    self._pending_tasks.add(task_id)
                elif job is not None:
                    self.duplicate_submits += 1
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


def _postgres(opts: argparse.Namespace, cleanup: contextlib.ExitStack) -> str | None:
    """The bot's DATABASE_URL: None (SQLite), the one given, or (`auto`) a fresh database on a
    throwaway server that `cleanup` stops."""
    if opts.database_url != "auto":
        return str(opts.database_url) if opts.database_url else None
    from tests.postgres import PostgresServer, PostgresUnavailable  # imports pytest: only when needed

    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    cleanup.callback(server.stop)
    print(f"PostgreSQL {server.bin_dir.parent.name} on port {server.port} (up in {server.startup_seconds:.1f} s)",
          file=sys.stderr)  # fmt: skip
    return server.create_database()


def _transactions(url: str, *, alone_within: float = 0.0) -> int:
    """Transactions committed and rolled back in the database so far, as PostgreSQL's statistics
    have them: each backend reports its own lazily, and at the latest when it exits, so
    `alone_within` > 0 first waits (that long at most) for every other connection to be gone."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        deadline = time.monotonic() + alone_within
        while time.monotonic() < deadline:
            row = conn.execute(OTHER_BACKENDS).fetchone()
            if not row or not row[0]:
                break
            time.sleep(0.05)
        row = conn.execute(XACTS).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _start_bots(
    opts: argparse.Namespace,
    env: dict[str, str],
    data_dir: Path,
    url: str | None,
    cleanup: contextlib.ExitStack,
) -> tuple[list[BotProcess], RoundRobinProxy | None]:
    """One bot long-polling (on SQLite, or on `url`), or `--replicas` on `url` in webhook mode
    behind a round-robin proxy, as tests/test_e2e_replicas.py runs them; started together, each
    waited for."""
    bots: list[BotProcess] = []
    proxy: RoundRobinProxy | None = None
    if opts.replicas == 1:
        settings = dict(env)
        if url is not None:
            settings.update(DATABASE_URL=url, REPLICA_ID="r0")
        bots.append(BotProcess(settings, data_dir / "bot.log"))
    else:
        assert url is not None
        ports = [free_port() for _ in range(opts.replicas)]
        proxy = RoundRobinProxy([("127.0.0.1", port) for port in ports], response_timeout=20).start()
        cleanup.callback(proxy.stop)
        for n, port in enumerate(ports):
            folder = data_dir / f"r{n}"
            folder.mkdir()
            settings = {
                **env, "DATABASE_PATH": str(folder / "bot.sqlite3"), "BOT_CWD": str(folder),
                "DATABASE_URL": url, "REPLICA_ID": f"r{n}",
                "TELEGRAM_WEBHOOK_URL": f"{proxy.url}/hook", "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "PUBLIC_URL": proxy.url, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port),
            }  # fmt: skip
            bots.append(BotProcess(settings, folder / "bot.log"))
    for bot in bots:
        cleanup.callback(bot.close)
        bot.start(ready=False)
    for bot in bots:
        bot.wait_log(READY, timeout=30)
    return bots, proxy


def _logs(bots: list[BotProcess]) -> str:
    if len(bots) == 1:
        return bots[0].log()
    return "".join(f"--- replica {bot.env['REPLICA_ID']} ---\n{bot.log()}" for bot in bots)


def run(opts: argparse.Namespace) -> BenchReport:
    groups = opts.chats // 2
    results = BenchReport(
        jobs=opts.jobs, chats=opts.chats, groups=groups, gen_seconds=opts.gen_seconds, steps=opts.steps,
        ramp_seconds=opts.ramp_seconds, flood_every=opts.flood_every, group_per_minute=opts.group_per_minute,
        global_per_second=opts.global_per_second, replicas=opts.replicas,
        database="postgresql" if opts.database_url else "sqlite",
    )  # fmt: skip
    chats = _chats(opts.chats)
    jobs = [JobRecord(n, int(chats[n % len(chats)][0]["id"])) for n in range(opts.jobs)]
    with tempfile.TemporaryDirectory(prefix="mj-bench-") as tmp, contextlib.ExitStack() as cleanup:
        data_dir = Path(tmp)
        url = _postgres(opts, cleanup)
        tg = FakeTelegram(BOT_TOKEN)
        ace = _BenchAceData(ACEDATA_TOKEN)
        ace.steps = opts.steps
        ace.step_delay = opts.gen_seconds / (opts.steps + 1)
        ace.preview_ttl = None  # previews stay fetchable
        bots: list[BotProcess] = []
        tg.start()
        cleanup.callback(tg.stop)
        ace.start()
        cleanup.callback(ace.stop)
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
            bots, proxy = _start_bots(opts, env, data_dir, url, cleanup)
            pids = [bot.proc.pid for bot in bots if bot.proc is not None]
            samplers = [_RssSampler(pid) for pid in pids]
            for sampler in samplers:
                sampler.start()
            tracker = _Tracker(tg, ace, jobs)
            if url is not None:
                xacts_before = _transactions(url)

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
            results.duplicate_submits = tracker.duplicate_submits
            for pid in pids:
                try:
                    cpu = psutil.Process(pid).cpu_times()
                    results.cpu_seconds_per_replica.append(cpu.user + cpu.system)
                except psutil.Error:
                    results.cpu_seconds_per_replica.append(0.0)
            results.cpu_seconds = sum(results.cpu_seconds_per_replica)
            results.cpu_ms_per_job = 1000 * results.cpu_seconds / opts.jobs
            results.peak_rss_mb_per_replica = [sampler.stop() / 2**20 for sampler in samplers]
            results.peak_rss_mb = max(results.peak_rss_mb_per_replica, default=0.0)
            results.peak_rss_sum_mb = sum(results.peak_rss_mb_per_replica)
            if proxy is not None:
                counts = proxy.counts
                results.updates_per_replica = [counts.get(backend, 0) for backend in proxy.backends]
            results.bot_exits = [bot.stop(timeout=30) for bot in bots]
            results.bot_exit = next((code for code in results.bot_exits if code), 0)
            if url is not None:  # the bots' backends have reported everything once they are gone
                results.db_transactions = _transactions(url, alone_within=10.0) - xacts_before
                results.db_transactions_per_job = results.db_transactions / opts.jobs
            log = _logs(bots)
            results.submits_per_replica = [bot.log().count(SUBMIT_LINE) for bot in bots]
        finally:
            if bots and opts.log is not None:
                opts.log.write_text(_logs(bots), encoding="utf-8")
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
    try:
        results = run(opts)
    except DatabaseUnavailable as exc:
        print(f"--database-url auto: PostgreSQL unavailable: {exc}", file=sys.stderr)
        return 2
    print(table(results))
    if opts.json:
        print(to_json(results))
    if results.lost:
        return 1
    return 1 if opts.strict and not results.passed else 0


if __name__ == "__main__":
    sys.exit(main())

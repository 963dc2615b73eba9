"""The benchmark's analysis (`scripts/bench.py` drives the run): what happened to each job, how the
calls compare with Telegram's limits, where late results waited, and the report's table and JSON.
Pure functions of the records the fakes kept, unit-tested in tests/test_bench_report.py."""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from tests.fakes import Call, FakeTelegram

NOT_COUNTED = frozenset(
    {
        "getUpdates",
        "getMe",
        "setMyCommands",
        "deleteWebhook",
        "setWebhook",
        "getWebhookInfo",
        "answerCallbackQuery",
    }
)
STALL_LINE = re.compile(r"longest event-loop stall: ([\d.]+) ms")
STALL_WARNING = "event loop stalled for"
RSS_LIMIT_MB = 150.0
STALL_LIMIT_MS = 50.0
P50_LIMIT_MS = 20.0
P99_LIMIT_MS = 100.0
# The fake stamps a call when its handler runs; under load that jitters by a few ms against the
# bot's clock, so limits are checked with this slack.
SLACK = 0.020  # seconds


# == results ====================================================================================
@dataclass
class JobRecord:
    n: int
    chat_id: int
    request_id: int = 0  # the user's /imagine message
    request_t: float | None = None  # when it was sent (monotonic)
    task_id: str | None = None
    final_url: str | None = None
    final_t: float | None = None  # upstream final line (monotonic)
    shown_t: float | None = None  # Telegram call that put the final image on the message
    message_id: int | None = None  # the bot's reply
    calls: int = 0
    edits: int = 0


@dataclass
class BenchReport:
    jobs: int
    chats: int
    groups: int
    gen_seconds: float
    steps: int
    ramp_seconds: float
    flood_every: int
    group_per_minute: int
    global_per_second: int
    replicas: int = 1
    database: str = "sqlite"  # or "postgresql"
    wall_seconds: float = 0.0
    lost: int = 0
    lost_jobs: list[int] = field(default_factory=list)
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    wait_ms: dict[str, float | None] = field(default_factory=dict)  # request -> result, what users wait
    beyond_pacing_ms: dict[str, float | None] = field(default_factory=dict)
    latency_groups_ms: dict[str, float | None] = field(default_factory=dict)
    latency_private_ms: dict[str, float | None] = field(default_factory=dict)
    late_causes: dict[str, int] = field(default_factory=dict)
    chat_gaps_below_interval: int = 0
    max_group_minute: int = 0
    max_global_second: int = 0
    calls_total: int = 0
    calls_unattributed: int = 0
    calls_per_job: float = 0.0
    calls_per_job_max: int = 0
    calls_target: int = 0
    edits_per_job: float = 0.0
    edits_per_job_max: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    status_429: int = 0
    violations: int = 0
    calls_over_limits: int = 0
    pacing_compliance: bool = False
    peak_rss_mb: float = 0.0  # the bot's; with several replicas the highest replica's
    peak_rss_sum_mb: float = 0.0  # the replicas' peaks added up (= peak_rss_mb for one)
    peak_rss_mb_per_replica: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # user + system, summed over the replicas
    cpu_seconds_per_replica: list[float] = field(default_factory=list)
    cpu_ms_per_job: float = 0.0
    # PostgreSQL's xact_commit + xact_rollback over the run; None on SQLite
    db_transactions: int | None = None
    db_transactions_per_job: float | None = None
    submits_per_replica: list[int] = field(default_factory=list)  # "submitting" lines in each replica's log
    updates_per_replica: list[int] = field(default_factory=list)  # webhook POSTs the proxy passed to each
    duplicate_submits: int = 0  # upstream tasks beyond one per job (a job submitted twice)
    longest_stall_ms: float | None = None
    stall_warnings: int = 0
    error_lines: int = 0
    bot_exit: int | None = None  # with several replicas: the first non-zero exit status, else 0
    bot_exits: list[int | None] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c["ok"] for c in self.checks)


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values)

    def pick(q: float) -> float:  # nearest-rank percentile
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {"p50": pick(0.5), "p99": pick(0.99), "max": ordered[-1], "mean": statistics.fmean(ordered)}


def shown_url(call: Call) -> str | None:
    """The picture URL a successful sendPhoto / editMessageMedia put on a message."""
    if call.status != 200:
        return None
    if call.method == "sendPhoto":
        photo = call.params.get("photo")
        return photo if isinstance(photo, str) else None
    if call.method == "editMessageMedia":
        media = call.params.get("media")
        if isinstance(media, dict) and isinstance(media.get("media"), str):
            return str(media["media"])
    return None


def reply_target(call: Call) -> int | None:
    reply = call.params.get("reply_parameters")
    if isinstance(reply, dict) and isinstance(reply.get("message_id"), int):
        return int(reply["message_id"])
    value = call.params.get("reply_to_message_id")
    return value if isinstance(value, int) else None


# == analysis ===================================================================================
def analyse(
    results: BenchReport, opts: argparse.Namespace, tg: FakeTelegram, jobs: list[JobRecord], log: str
) -> None:
    calls = [c for c in tg.calls if c.method not in NOT_COUNTED]
    by_request = {(job.chat_id, job.request_id): job for job in jobs}
    by_message: dict[tuple[int, int], JobRecord] = {}
    for (chat_id, message_id), message in tg.messages.items():
        if message.from_bot and message.reply_to_message_id is not None:
            job = by_request.get((chat_id, message.reply_to_message_id))
            if job is not None and job.message_id is None:
                job.message_id = message_id
                by_message[(chat_id, message_id)] = job
    unattributed = 0
    for call in calls:
        job = None
        if call.chat_id is not None:
            if call.method.startswith("send"):
                target = reply_target(call)
                job = by_request.get((call.chat_id, target)) if target is not None else None
            else:
                edited = call.params.get("message_id")
                if isinstance(edited, int):
                    job = by_message.get((call.chat_id, edited))
        if job is None:
            unattributed += 1
            continue
        job.calls += 1
        if call.method.startswith("edit"):
            job.edits += 1

    lost = [job for job in jobs if job.shown_t is None]
    latencies = [
        (job.shown_t - job.final_t) * 1000
        for job in jobs
        if job.shown_t is not None and job.final_t is not None
    ]
    results.lost = len(lost)
    results.lost_jobs = [job.n for job in lost][:50]
    results.latency_ms = percentiles(latencies)
    results.wait_ms = percentiles(
        [(j.shown_t - j.request_t) * 1000 for j in jobs if j.shown_t is not None and j.request_t is not None]
    )
    beyond, causes = pacing(opts, calls, jobs)
    results.beyond_pacing_ms = percentiles(beyond)
    results.late_causes = dict(causes.most_common())
    results.latency_groups_ms = percentiles(
        [(j.shown_t - j.final_t) * 1000 for j in jobs if j.chat_id < 0 and j.shown_t and j.final_t]
    )
    results.latency_private_ms = percentiles(
        [(j.shown_t - j.final_t) * 1000 for j in jobs if j.chat_id > 0 and j.shown_t and j.final_t]
    )
    results.calls_total = len(calls)
    results.calls_unattributed = unattributed
    results.calls_per_job = len(calls) / len(jobs)
    results.calls_per_job_max = max(job.calls for job in jobs)
    results.calls_target = 2 + math.ceil(opts.gen_seconds / 6)
    edits = sum(1 for c in calls if c.method.startswith("edit"))
    results.edits_per_job = edits / len(jobs)
    results.edits_per_job_max = max(job.edits for job in jobs)
    results.methods = dict(Counter(c.method for c in calls).most_common())
    results.status_429 = sum(1 for c in tg.calls if c.status == 429)
    results.violations = len(tg.violations)
    results.calls_over_limits = len(tg.over_limit)
    results.pacing_compliance = results.calls_over_limits == 0 and results.violations == 0
    stalls = [float(ms) for ms in STALL_LINE.findall(log)]  # one line per replica (the logs run together)
    results.longest_stall_ms = max(stalls) if stalls else None
    results.stall_warnings = log.count(STALL_WARNING)
    results.error_lines = sum(1 for line in log.splitlines() if " ERROR " in line)
    pacing_kept(results, opts, calls)
    results.checks = checks(results, opts)


def most_in_window(times: list[float], window: float) -> int:
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        most = max(most, end - start + 1)
    return most


def pacing_kept(results: BenchReport, opts: argparse.Namespace, calls: list[Call]) -> None:
    """How the calls the fake received compare with the limits the bot was given (give or take
    `SLACK`)."""
    sending = sorted((c for c in calls if c.chat_id is not None), key=lambda c: c.t)
    per_chat: dict[int, list[float]] = defaultdict(list)
    for call in sending:
        assert call.chat_id is not None
        per_chat[call.chat_id].append(call.t)
    results.chat_gaps_below_interval = sum(
        1
        for times in per_chat.values()
        for a, b in itertools.pairwise(times)
        if b - a < opts.chat_interval - SLACK
    )
    results.max_group_minute = max(
        (most_in_window(times, 60.0 - SLACK) for chat, times in per_chat.items() if chat < 0), default=0
    )
    results.max_global_second = most_in_window([c.t for c in sending], 1.0 - SLACK)


LATE_MS = 20.0  # a final shown later than this after upstream's final line counts as late


def pacing(
    opts: argparse.Namespace, calls: list[Call], jobs: list[JobRecord]
) -> tuple[list[float], Counter[str]]:
    """Per job: latency minus the wait Telegram's limits forced given the bot's earlier calls (ms),
    and for late finals the binding reason: the previous call into the chat (a progress edit, a
    first message, another final), the group's per-minute window, the global budget, a
    retry_after, or nothing (the bot itself)."""
    sending = sorted((c for c in calls if c.chat_id is not None), key=lambda c: c.t)
    per_chat: dict[int, list[Call]] = defaultdict(list)
    for call in sending:
        assert call.chat_id is not None
        per_chat[call.chat_id].append(call)
    all_times = [c.t for c in sending]
    finals = {job.final_url for job in jobs if job.final_url}
    beyond: list[float] = []
    causes: Counter[str] = Counter()
    for job in jobs:
        if job.shown_t is None or job.final_t is None:
            continue
        shown = job.shown_t
        chat_calls = per_chat[job.chat_id]
        earlier = chat_calls[: bisect.bisect_left([c.t for c in chat_calls], shown)]
        limits: list[tuple[float, str]] = [(job.final_t, "the bot itself")]
        if earlier:
            previous = earlier[-1]
            kind = (
                "another result"
                if shown_url(previous) in finals
                else "a first message"
                if previous.method.startswith("send")
                else "a progress edit"
            )
            limits.append((previous.t + opts.chat_interval, f"chat interval, after {kind}"))
        if job.chat_id < 0 and len(earlier) >= opts.group_per_minute:
            limits.append((earlier[-opts.group_per_minute].t + 60.0, "group per-minute window"))
        if opts.flood_every:
            limits += [(c.t + opts.retry_after, "retry_after") for c in earlier if c.status == 429]
        before = bisect.bisect_left(all_times, shown)
        if before >= opts.global_per_second:
            limits.append((all_times[before - opts.global_per_second] + 1.0, "bot-wide per-second budget"))
        allowed, reason = max(limits)
        beyond.append(max(0.0, shown - allowed) * 1000)
        if (shown - job.final_t) * 1000 > LATE_MS:
            causes["the bot itself" if (shown - allowed) * 1000 > LATE_MS else reason] += 1
    return beyond, causes


def checks(r: BenchReport, opts: argparse.Namespace) -> list[dict[str, Any]]:
    def check(name: str, ok: bool | None, target: str) -> dict[str, Any]:
        return {"name": name, "ok": bool(ok), "target": target}

    p50, p99 = r.latency_ms.get("p50"), r.latency_ms.get("p99")
    return [
        check("latency p50", p50 is not None and p50 < P50_LIMIT_MS, f"< {P50_LIMIT_MS:.0f} ms"),
        check("latency p99", p99 is not None and p99 < P99_LIMIT_MS, f"< {P99_LIMIT_MS:.0f} ms"),
        check("calls per job (max)", r.calls_per_job_max <= r.calls_target, f"<= {r.calls_target}"),
        check("calls inside retry_after", r.violations == 0, "0"),
        check("pacing compliance", r.pacing_compliance, "yes"),
        check("peak RSS", r.peak_rss_mb < RSS_LIMIT_MB, f"< {RSS_LIMIT_MB:.0f} MB"),
        check(
            "longest loop stall",
            r.longest_stall_ms is not None and r.longest_stall_ms <= STALL_LIMIT_MS,
            f"<= {STALL_LIMIT_MS:.0f} ms",
        ),
        check("jobs lost", r.lost == 0, "0"),
    ]


# == report =====================================================================================
def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} ms"


def bot_line(r: BenchReport) -> str:
    if r.replicas == 1:
        return f"1 process, {r.database}, long polling"
    return f"{r.replicas} replicas, {r.database}, webhook behind a round-robin proxy"


def _each(values: list[float], fmt: str) -> str:
    """Each replica's value, " (a / b / c)", when there are several."""
    return f" ({' / '.join(fmt.format(v) for v in values)})" if len(values) > 1 else ""


def db_line(r: BenchReport) -> str:
    if r.db_transactions_per_job is None:
        return "n/a (SQLite)" if r.database == "sqlite" else "n/a"
    return f"{r.db_transactions_per_job:.1f} ({r.db_transactions:,} in all)"


def compliance_line(r: BenchReport) -> str:
    return (
        f"pacing compliance: {'yes' if r.pacing_compliance else 'NO'} ({r.calls_over_limits} calls over "
        f"Telegram's limits, {r.violations} inside a retry_after)"
    )


def table(r: BenchReport) -> str:
    ok = {c["name"]: ("yes" if c["ok"] else "NO") for c in r.checks}
    target = {c["name"]: c["target"] for c in r.checks}
    lat, beyond = r.latency_ms, r.beyond_pacing_ms
    rows: list[tuple[str, str, str]] = [
        (
            "load",
            f"{r.jobs} jobs, {r.chats} chats ({r.groups} groups), "
            f"{r.gen_seconds:g} s x {r.steps}+1 lines, ramp {r.ramp_seconds:g} s"
            + (f", 429 every {r.flood_every}" if r.flood_every else ""),
            "",
        ),
        ("bot", bot_line(r), ""),
        ("wall time (first request -> last result)", f"{r.wall_seconds:.1f} s", ""),
        ("latency p50", _ms(lat.get("p50")), "latency p50"),
        ("latency p99", _ms(lat.get("p99")), "latency p99"),
        ("latency max", _ms(lat.get("max")), ""),
        ("request -> result p50 / p99", f"{_ms(r.wait_ms.get('p50'))} / {_ms(r.wait_ms.get('p99'))}", ""),
        (
            "  groups p50 / p99",
            f"{_ms(r.latency_groups_ms.get('p50'))} / {_ms(r.latency_groups_ms.get('p99'))}",
            "",
        ),
        (
            "  private p50 / p99",
            f"{_ms(r.latency_private_ms.get('p50'))} / {_ms(r.latency_private_ms.get('p99'))}",
            "",
        ),
        ("  beyond Telegram pacing p50", _ms(beyond.get("p50")), ""),
        ("  beyond Telegram pacing p99", _ms(beyond.get("p99")), ""),
        ("  beyond Telegram pacing max", _ms(beyond.get("max")), ""),
        *[(f"  late > {LATE_MS:.0f} ms: {cause}", str(n), "") for cause, n in r.late_causes.items()],
        ("Telegram calls per job (mean)", f"{r.calls_per_job:.2f}", ""),
        ("Telegram calls per job (max)", str(r.calls_per_job_max), "calls per job (max)"),
        ("edits per job (mean / max)", f"{r.edits_per_job:.2f} / {r.edits_per_job_max}", ""),
        ("calls not tied to a job", str(r.calls_unattributed), ""),
        ("same-chat calls closer than the chat interval", str(r.chat_gaps_below_interval), ""),
        (
            "most calls into one group in 60 s",
            f"{r.max_group_minute} (limit {r.group_per_minute})" if r.groups else "n/a",
            "",
        ),
        ("most calls bot-wide in 1 s", f"{r.max_global_second} (limit {r.global_per_second})", ""),
        ("429s received", str(r.status_429), ""),
        ("calls inside a retry_after", str(r.violations), "calls inside retry_after"),
        ("calls over Telegram's limits (answered 429)", str(r.calls_over_limits), ""),
        ("pacing compliance", "yes" if r.pacing_compliance else "NO", "pacing compliance"),
        ("peak RSS (bot; max per replica)", f"{r.peak_rss_mb:.1f} MB", "peak RSS"),
        (
            "peak RSS summed over replicas",
            f"{r.peak_rss_sum_mb:.1f} MB" + _each(r.peak_rss_mb_per_replica, "{:.1f}"),
            "",
        ),
        (
            "bot CPU time (summed over replicas)",
            f"{r.cpu_seconds:.1f} s" + _each(r.cpu_seconds_per_replica, "{:.1f}"),
            "",
        ),
        ("bot CPU per job", f"{r.cpu_ms_per_job:.1f} ms", ""),
        ("db transactions per job", db_line(r), ""),
        *(
            [("submits per replica", " / ".join(map(str, r.submits_per_replica)), "")]
            if r.replicas > 1
            else []
        ),
        *(
            [("webhook updates per replica", " / ".join(map(str, r.updates_per_replica)), "")]
            if r.updates_per_replica
            else []
        ),
        ("upstream submits beyond one per job", str(r.duplicate_submits), ""),
        ("longest event-loop stall", _ms(r.longest_stall_ms), "longest loop stall"),
        ("stall warnings / ERROR lines", f"{r.stall_warnings} / {r.error_lines}", ""),
        ("jobs lost", str(r.lost), "jobs lost"),
    ]
    lines = [f"{'metric':<50} {'value':<28} {'target':<10} ok", "-" * 94]
    for name, value, check in rows:
        lines.append(f"{name:<50} {value:<28} {target.get(check, ''):<10} {ok.get(check, '')}".rstrip())
    lines.append("-" * 94)
    verdict = (
        "all targets met"
        if r.passed
        else "targets missed: " + ", ".join(c["name"] for c in r.checks if not c["ok"])
    )
    lines.append(verdict)
    lines.append(compliance_line(r))
    if r.lost:
        lines.append(f"lost jobs (first {len(r.lost_jobs)}): {r.lost_jobs}")
    return "\n".join(lines)


def to_json(r: BenchReport) -> str:
    """The results as one JSON object (`--json`), `pacing_compliance` and `passed` included."""
    return json.dumps({**asdict(r), "passed": r.passed})

"""Prometheus series the bot keeps, with `prometheus_client` (never a hand-written exposition).

prometheus_client's registry is process-wide by design, and one bot is one process, so the series
live here and every layer records into them; `enabled(False)` (METRICS=false) turns recording into
no-ops for the benchmark's comparison. Labels are low-cardinality: never a chat or a user id. Every
job kind and outcome, and every refusal reason, starts at zero, so `rate()` works from the first
scrape.
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

KINDS = ("imagine", "blend", "image_prompt", "upscale", "vary", "region", "reroll", "zoom", "pan", "retry",
         "describe", "shorten", "other")  # fmt: skip
OUTCOMES = ("done", "failed", "interrupted", "cancelled")
REFUSALS = ("not_allowed", "too_many", "user_daily", "chat_daily", "busy", "admins_only")
FAILURES = ("moderated", "rejected", "picture", "credit", "disabled", "misconfigured", "busy", "timeout",
            "deadline", "unconfirmed", "network", "upstream", "cancelled", "internal")  # bot.jobs.failures' reasons

JOBS_STARTED = Counter("mjbot_jobs_started_total", "Jobs admitted, by kind.", ["kind"], registry=REGISTRY)
JOBS_FINISHED = Counter(
    "mjbot_jobs_finished_total", "Jobs ended, by kind, outcome and (for failures) reason.",
    ["kind", "outcome", "reason"], registry=REGISTRY,
)  # fmt: skip
JOB_SECONDS = Histogram(
    "mjbot_job_duration_seconds", "From the request to the result shown (finished jobs).", ["kind"],
    buckets=(5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 450, 600, 900), registry=REGISTRY,
)  # fmt: skip
JOBS_QUEUED = Gauge("mjbot_jobs_queued", "Jobs waiting for an upstream slot.", registry=REGISTRY)
JOBS_RUNNING = Gauge("mjbot_jobs_running", "Jobs upstream now.", registry=REGISTRY)
ACEDATA_REQUESTS = Counter(
    "mjbot_acedata_requests_total", "AceData requests by endpoint and result (ok, an error code, "
    "too_many_requests, timeout, network).", ["endpoint", "result"], registry=REGISTRY,
)  # fmt: skip
TELEGRAM_CALLS = Counter(
    "mjbot_telegram_calls_total", "Bot API calls by method and outcome (ok, 429, 4xx, 5xx, network).",
    ["method", "outcome"], registry=REGISTRY,
)  # fmt: skip
TELEGRAM_RETRY_AFTER = Counter(
    "mjbot_telegram_retry_after_seconds_total", "Seconds of retry_after Telegram asked for.", registry=REGISTRY
)
PACING_WAIT = Histogram(
    "mjbot_result_pacing_wait_seconds", "How long a result waited in the sender for Telegram's limits.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 60), registry=REGISTRY,
)  # fmt: skip
DUPLICATE_UPDATES = Counter("mjbot_duplicate_updates_total", "Updates seen before, ignored.", registry=REGISTRY)
REFUSALS_TOTAL = Counter("mjbot_refusals_total", "Requests refused, by reason.", ["reason"], registry=REGISTRY)
LOOP_STALL = Gauge("mjbot_event_loop_stall_longest_seconds", "The longest event-loop stall so far.", registry=REGISTRY)

_on = True
for _kind in KINDS:
    JOBS_STARTED.labels(_kind)
    JOBS_FINISHED.labels(_kind, "done", "")
    JOBS_FINISHED.labels(_kind, "cancelled", "")
    for _reason in FAILURES:
        JOBS_FINISHED.labels(_kind, "failed", _reason)
    JOB_SECONDS.labels(_kind)
for _reason in REFUSALS:
    REFUSALS_TOTAL.labels(_reason)


def enabled(on: bool) -> None:
    global _on
    _on = on


def exposition() -> bytes:
    return generate_latest(REGISTRY)


def kind_of(action: str, *, pictures: int = 0) -> str:
    """A job's kind from its action (a small fixed set: a label, never free text)."""
    if action == "generate":
        return "blend" if pictures > 1 else "image_prompt" if pictures else "imagine"
    if re.fullmatch(r"upscale.*", action):
        return "upscale"
    if action == "variation_region":
        return "region"
    if action.startswith("variation"):
        return "vary"
    if action.startswith(("zoom", "custom_zoom")):
        return "zoom"
    if action.startswith("pan"):
        return "pan"
    return action if action in KINDS else "other"


def job_started(kind: str) -> None:
    if _on:
        JOBS_STARTED.labels(kind).inc()


def job_finished(kind: str, outcome: str, reason: str = "", seconds: float | None = None) -> None:
    if not _on:
        return
    JOBS_FINISHED.labels(kind, outcome, reason if outcome in ("failed", "interrupted") else "").inc()
    if seconds is not None and outcome == "done":
        JOB_SECONDS.labels(kind).observe(seconds)


def acedata(endpoint: str, result: str) -> None:
    if _on:
        ACEDATA_REQUESTS.labels(endpoint, result).inc()


def telegram_call(method: str, outcome: str, retry_after: float | None = None) -> None:
    if not _on:
        return
    TELEGRAM_CALLS.labels(method, outcome).inc()
    if retry_after:
        TELEGRAM_RETRY_AFTER.inc(retry_after)


def pacing_wait(seconds: float) -> None:
    if _on:
        PACING_WAIT.observe(seconds)


def duplicate_update() -> None:
    if _on:
        DUPLICATE_UPDATES.inc()


def refused(reason: str) -> None:
    if _on:
        REFUSALS_TOTAL.labels(reason).inc()

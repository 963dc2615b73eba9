"""CI smoke run of the benchmark (scripts/bench.py): a small load through the real bot and both
fakes, at Telegram's real limits (the bench's defaults, which the fake Telegram enforces), must lose
no job, keep the pacing compliant and produce the report; so must two replicas on a throwaway
PostgreSQL (skipped where PostgreSQL cannot run, as tests/postgres.py skips). Timing is never
asserted: CI machines vary."""

from __future__ import annotations

import json

import pytest

from scripts import bench
from scripts.bench_report import table, to_json

SMALL = ["--jobs", "20", "--chats", "10", "--gen-seconds", "2", "--steps", "3", "--ramp-seconds", "0.5",
         "--timeout", "30"]  # fmt: skip


def test_small_load_loses_no_job_and_keeps_telegrams_limits() -> None:
    opts = bench.parse_args(SMALL)
    assert (opts.chat_interval, opts.group_per_minute, opts.global_per_second) == (1.0, 20, 30)
    assert (opts.replicas, opts.database_url) == (1, None)
    results = bench.run(opts)
    report = table(results)

    assert results.lost == 0, report
    assert results.jobs == 20 and results.groups == 5
    assert results.latency_ms["p50"] is not None, report
    assert results.calls_per_job >= 2, report  # at least the first message and the result
    assert results.pacing_compliance, report
    assert results.calls_over_limits == 0 and results.violations == 0, report
    assert "pacing compliance: yes (0 calls over Telegram's limits, 0 inside a retry_after)" in report
    for row in ("latency p50", "Telegram calls per job", "429s received", "peak RSS", "jobs lost"):
        assert row in report
    assert "1 process, sqlite, long polling" in report and "n/a (SQLite)" in report
    assert results.db_transactions_per_job is None and results.peak_rss_sum_mb == results.peak_rss_mb
    as_json = json.loads(to_json(results))
    assert as_json["pacing_compliance"] is True and as_json["calls_over_limits"] == 0
    assert (as_json["replicas"], as_json["database"]) == (1, "sqlite")


def test_two_replicas_on_postgresql_lose_no_job() -> None:
    argv = ["--jobs", "10", "--chats", "10", "--gen-seconds", "1", "--steps", "1", "--ramp-seconds", "0.2",
            "--timeout", "30", "--replicas", "2", "--database-url", "auto"]  # fmt: skip
    try:
        results = bench.run(bench.parse_args(argv))
    except bench.DatabaseUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    report = table(results)

    assert results.lost == 0, report
    assert results.pacing_compliance, report
    assert (results.replicas, results.database) == (2, "postgresql")
    assert len(results.peak_rss_mb_per_replica) == 2 and len(results.cpu_seconds_per_replica) == 2
    assert results.db_transactions_per_job is not None and results.db_transactions_per_job > 0, report
    assert sum(results.submits_per_replica) == 10 and sum(results.updates_per_replica) >= 10, report
    assert results.bot_exits == [0, 0], report
    assert "2 replicas, postgresql, webhook behind a round-robin proxy" in report


def test_more_replicas_need_a_shared_database(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(["--replicas", "2"])
    assert "--replicas above 1 needs --database-url" in capsys.readouterr().err

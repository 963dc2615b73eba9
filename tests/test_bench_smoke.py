"""CI smoke run of the benchmark (scripts/bench.py): a small load through the real bot and both
fakes, at Telegram's real limits (the bench's defaults, which the fake Telegram enforces), must lose
no job, keep the pacing compliant and produce the report. Timing is never asserted: CI machines
vary."""

from __future__ import annotations

import json

from scripts import bench


def test_small_load_loses_no_job_and_keeps_telegrams_limits() -> None:
    argv = ["--jobs", "20", "--chats", "10", "--gen-seconds", "2", "--steps", "3", "--ramp-seconds", "0.5",
            "--timeout", "30"]  # fmt: skip
    opts = bench.parse_args(argv)
    assert (opts.chat_interval, opts.group_per_minute, opts.global_per_second) == (1.0, 20, 30)
    results = bench.run(opts)
    report = bench.table(results)

    assert results.lost == 0, report
    assert results.jobs == 20 and results.groups == 5
    assert results.latency_ms["p50"] is not None, report
    assert results.calls_per_job >= 2, report  # at least the first message and the result
    assert results.pacing_compliance, report
    assert results.calls_over_limits == 0 and results.violations == 0, report
    assert "pacing compliance: yes (0 calls over Telegram's limits, 0 inside a retry_after)" in report
    for row in ("latency p50", "Telegram calls per job", "429s received", "peak RSS", "jobs lost"):
        assert row in report
    as_json = json.loads(bench.to_json(results))
    assert as_json["pacing_compliance"] is True and as_json["calls_over_limits"] == 0

"""CI smoke run of the benchmark (scripts/bench.py): a small load through the real bot and both
fakes must lose no job and produce the report. Timing is never asserted: CI machines vary."""

from __future__ import annotations

from scripts import bench


def test_small_load_loses_no_job() -> None:
    opts = bench.parse_args(
        [
            "--jobs", "20", "--chats", "4", "--gen-seconds", "2", "--steps", "3", "--ramp-seconds", "0.5",
            "--edit-interval", "0.2", "--chat-interval", "0.02", "--group-per-minute", "1000",
            "--global-per-second", "1000", "--timeout", "30",
        ]
    )  # fmt: skip
    results = bench.run(opts)
    report = bench.table(results)

    assert results.lost == 0, report
    assert results.jobs == 20 and results.groups == 2
    assert results.latency_ms["p50"] is not None, report
    assert results.calls_per_job >= 2, report  # at least the first message and the result
    for row in ("latency p50", "Telegram calls per job", "429s received", "peak RSS", "jobs lost"):
        assert row in report

"""The benchmark's analysis (scripts/bench_report.py) on records made by hand: percentiles, windows,
and where a late result waited (Telegram's pacing, or the bot itself)."""

from __future__ import annotations

import argparse

from scripts.bench_report import BenchReport, JobRecord, compliance_line, most_in_window, pacing, percentiles
from tests.fakes import Call

OPTS = argparse.Namespace(chat_interval=1.0, group_per_minute=20, global_per_second=30, flood_every=0, retry_after=3)


def _photo(chat_id: int, t: float, url: str) -> Call:
    return Call("sendPhoto", {"photo": url}, chat_id, t, status=200)


def _edit(chat_id: int, t: float) -> Call:
    return Call("editMessageCaption", {"message_id": 5, "caption": "50%"}, chat_id, t, status=200)


def test_percentiles_are_nearest_rank() -> None:
    assert percentiles([]) == {"p50": None, "p99": None, "max": None, "mean": None}
    found = percentiles([float(n) for n in range(1, 101)])
    assert (found["p50"], found["p99"], found["max"], found["mean"]) == (50.0, 99.0, 100.0, 50.5)


def test_most_in_a_window() -> None:
    assert most_in_window([0.0, 0.5, 0.99, 1.0, 1.5], 1.0) == 3
    assert most_in_window([0.0], 60.0) == 1


def test_a_late_result_is_put_down_to_what_held_it() -> None:
    """Job 1's result was ready at 10.0 but a progress edit went into its chat at 9.8: Telegram's
    1 s per chat held it until 10.8, so nothing beyond the limits. Job 2's result, alone in its
    chat, went out 0.5 s late: that is the bot's own."""
    held = JobRecord(1, chat_id=7, final_t=10.0, shown_t=10.8, final_url="https://r/1.png")
    slow = JobRecord(2, chat_id=8, final_t=10.0, shown_t=10.5, final_url="https://r/2.png")
    calls = [_edit(7, 9.8), _photo(7, 10.8, "https://r/1.png"), _photo(8, 10.5, "https://r/2.png")]
    beyond, causes = pacing(OPTS, calls, [held, slow])
    assert [round(b) for b in beyond] == [0, 500]
    assert causes == {"chat interval, after a progress edit": 1, "the bot itself": 1}


def test_the_compliance_line() -> None:
    report = BenchReport(jobs=1, chats=1, groups=0, gen_seconds=1, steps=1, ramp_seconds=0, flood_every=0,
                         group_per_minute=20, global_per_second=30, pacing_compliance=True)  # fmt: skip
    assert compliance_line(report) == "pacing compliance: yes (0 calls over Telegram's limits, 0 inside a retry_after)"

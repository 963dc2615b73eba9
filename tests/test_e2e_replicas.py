"""Several replicas of the real bot on one real PostgreSQL, end to end: three behind a round-robin
proxy in webhook mode (a kill -9 mid-run loses nothing and does nothing twice), two in long polling
(one polls; the other takes over when it dies), and a rolling restart. The fake Telegram enforces
Telegram's own flood limits, which count per bot token: the replicas keep them together."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.fakes import FakeAceData, FakeTelegram, make_png
from tests.fakes.proxy import RoundRobinProxy
from tests.harness import BotProcess, bot_env, free_port
from tests.test_e2e_core import data_of, finished, imagine_requests, reply_to
from tests.test_e2e_modes import PRODUCTION_PACING

GROUPS = [FakeTelegram.group(-100900 - n, f"Replica group {n}") for n in range(3)]
PEOPLE = [FakeTelegram.user(900 + n, f"P{n}", f"p{n}", language_code="en") for n in range(4)]
PRIVATE = {"id": PEOPLE[3]["id"], "type": "private", "first_name": "P3", "username": "p3"}
SECRET = "replica-shared-secret"
LEASE = "3"  # seconds: a dead replica's jobs pass on quickly in tests (30 s by default)


class Cluster:
    def __init__(self, tg: FakeTelegram, ace: FakeAceData, tmp_path: Path, url: str) -> None:
        self.tg, self.ace, self.tmp_path, self.url = tg, ace, tmp_path, url
        self.bots: list[BotProcess] = []
        self.proxy: RoundRobinProxy | None = None

    def start(self, count: int, *, webhook: bool, **env: str) -> list[BotProcess]:
        ports = [free_port() for _ in range(count)]
        extra: dict[str, str] = {}
        if webhook:
            self.proxy = RoundRobinProxy([("127.0.0.1", p) for p in ports], response_timeout=20).start()
            extra = {"TELEGRAM_WEBHOOK_URL": f"{self.proxy.url}/hook", "TELEGRAM_WEBHOOK_SECRET": SECRET,
                     "PUBLIC_URL": self.proxy.url}  # fmt: skip
        for n, port in enumerate(ports):
            folder = self.tmp_path / f"r{n}"
            folder.mkdir(exist_ok=True)
            settings = bot_env(telegram_url=self.tg.url, acedata_url=self.ace.url, data_dir=folder,
                               DATABASE_URL=self.url, REPLICA_ID=f"r{n}", JOB_LEASE_SECONDS=LEASE,
                               HTTP_HOST="127.0.0.1", HTTP_PORT=str(port), **PRODUCTION_PACING, **extra, **env)  # fmt: skip
            self.bots.append(BotProcess(settings, folder / "bot.log"))
        for bot in self.bots:
            bot.start()
        return self.bots

    def jobs(self) -> list[dict[str, object]]:
        with psycopg.connect(self.url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cursor:
            return list(cursor.execute("SELECT * FROM jobs ORDER BY id"))

    def close(self, failed: bool) -> None:
        for bot in self.bots:
            bot.close()
            if failed:
                print(f"--- {bot.env['REPLICA_ID']} ---\n{bot.log()[-5000:]}")
        if self.proxy is not None:
            self.proxy.stop()


@pytest.fixture
def cluster(
    tg: FakeTelegram, ace: FakeAceData, tmp_path: Path, pg_url: str, request: pytest.FixtureRequest
) -> Iterator[Cluster]:
    made = Cluster(tg, ace, tmp_path, pg_url)
    yield made
    report = getattr(request.node, "rep_call", None)
    made.close(failed=report is not None and report.failed)


def _private(person: dict[str, object]) -> dict[str, object]:
    return {"id": person["id"], "type": "private", "first_name": person["first_name"], "username": person["username"]}


def _all_done(cluster: Cluster, count: int) -> Callable[[], bool]:
    return lambda: sum(1 for j in cluster.jobs() if j["state"] == "done") >= count


def _one_submit_each(ace: FakeAceData) -> None:
    prompts = [r["prompt"] for r in imagine_requests(ace, "generate")]
    assert len(prompts) == len(set(prompts)), f"a job was submitted twice: {sorted(prompts)}"


def test_three_replicas_behind_a_balancer_survive_a_kill_9(cluster: Cluster) -> None:
    tg, ace = cluster.tg, cluster.ace
    tg.enforce_limits = True
    ace.steps, ace.step_delay = 4, 0.5
    ace.concurrency_limit = 4  # the account's: a fifth task at once would be refused with 429
    bots = cluster.start(3, webhook=True, ACEDATA_MAX_CONCURRENCY="4", ACEDATA_SUBMIT_INTERVAL="0.1")
    requests = [(g["id"], tg.user_message(g, PEOPLE[n], f"/imagine fox in group {n}")) for n, g in enumerate(GROUPS[:2])]
    for person in PEOPLE[:3]:  # private chats (a private chat's id is its person's)
        requests.append((person["id"], tg.user_message(_private(person), person, f"/imagine fox of {person['first_name']}")))
    requests.append((PRIVATE["id"], tg.user_message(PRIVATE, PEOPLE[3], caption="/imagine a painted fox",
                                                    photo=make_png(64, 64, (200, 80, 20)))))  # fmt: skip
    album = [tg.user_message(GROUPS[2], PEOPLE[2], photo=make_png(64, 64, c), caption="/blend" if i == 0 else None,
                             media_group_id="replica-album") for i, c in enumerate([(255, 0, 0), (0, 0, 255)])]  # fmt: skip
    requests.append((GROUPS[2]["id"], album[0]))
    ace.wait_for(lambda: len(ace.requests) >= 3, timeout=20)
    victim = next(b for b in bots if "submitting" in b.log())  # a replica with jobs upstream
    victim.kill()
    killed_at = time.monotonic()
    for chat_id, request in requests:
        finished(tg, reply_to(tg, chat_id, request), timeout=60)
    survivors = [b for b in bots if b is not victim]
    assert any("takes over jobs" in b.log() for b in survivors), "nobody took the dead replica's jobs over"
    print(f"all jobs finished {time.monotonic() - killed_at:.1f} s after the kill -9")
    jobs = cluster.jobs()
    assert [j["state"] for j in jobs] == ["done"] * len(requests), [(j["id"], j["state"], j["error"]) for j in jobs]
    assert len(imagine_requests(ace, "generate")) == len(requests), "one submit a job"
    _one_submit_each(ace)
    assert ace.max_in_flight <= 4

    # A button tapped afterwards works, whichever replica the tap reaches.
    chat_id, request = requests[2]  # P0's private chat
    grid = finished(tg, reply_to(tg, chat_id, request))
    for label in ("U1", "U2"):
        tg.press(_private(PEOPLE[0]), PEOPLE[0], grid.message_id, data_of(grid, label))
    tg.wait_for(lambda: len(imagine_requests(ace, "upscale1")) + len(imagine_requests(ace, "upscale2")) == 2, timeout=20)
    tg.wait_for(_all_done(cluster, len(requests) + 2), timeout=30)
    assert tg.violations == [], [(c.method, c.chat_id) for c in tg.violations]
    assert tg.over_limit == [], [(c.method, c.chat_id, c.t) for c in tg.over_limit]


def test_long_polling_one_replica_polls_and_another_takes_over(cluster: Cluster) -> None:
    tg, ace = cluster.tg, cluster.ace
    bots = cluster.start(2, webhook=False)
    first = tg.user_message(PRIVATE, PEOPLE[3], "/imagine a polled fox")
    finished(tg, reply_to(tg, PRIVATE["id"], first))
    pollers = [b for b in bots if "polls Telegram for updates" in b.log()]
    assert len(pollers) == 1, [b.log()[-500:] for b in bots]
    conflicts = [c for c in tg.calls if c.method == "getUpdates" and c.status == 409]
    assert conflicts == [], "the replicas took turns at getUpdates"
    pollers[0].kill()
    killed_at = time.monotonic()
    other = next(b for b in bots if b is not pollers[0])
    other.wait_log("polls Telegram for updates", timeout=15)
    took_over = time.monotonic() - killed_at
    later = tg.user_message(PRIVATE, PEOPLE[3], "/imagine a fox after the takeover")
    finished(tg, reply_to(tg, PRIVATE["id"], later), timeout=20)
    assert took_over < 10, f"polling resumed {took_over:.1f} s after the kill"
    assert len(imagine_requests(ace, "generate")) == 2


def test_a_rolling_restart_loses_no_job(cluster: Cluster) -> None:
    tg, ace = cluster.tg, cluster.ace
    ace.steps, ace.step_delay = 5, 0.5
    bots = cluster.start(2, webhook=True)
    chats = [_private(p) for p in PEOPLE[:3]]
    requests = [(c["id"], tg.user_message(c, PEOPLE[n], f"/imagine rolling fox {n}")) for n, c in enumerate(chats)]
    for bot in bots:  # one at a time, as a deploy does: the other keeps serving
        ace.wait_for(lambda: len(ace.requests) >= 1, timeout=15)
        assert bot.stop() == 0
        bot.start()
        n = len(requests)
        requests.append((chats[n % 3]["id"], tg.user_message(chats[n % 3], PEOPLE[n % 3], f"/imagine deploy fox {n}")))
    for chat_id, request in requests:
        finished(tg, reply_to(tg, chat_id, request), timeout=40)
    _one_submit_each(ace)
    jobs = cluster.jobs()
    assert [j["state"] for j in jobs] == ["done"] * len(requests), [(j["id"], j["state"], j["error"]) for j in jobs]
    assert len(imagine_requests(ace, "generate")) == len(requests), "none submitted twice"

import contextlib
import sqlite3
from pathlib import Path

import pytest

from bot.core.domain import Image, Job, JobState, Requester
from bot.store import MIGRATIONS, Store
from tests.conftest import OpenStore


def _job(**extra: object) -> Job:
    return Job(id=0, chat_id=-1, chat_type="group", requester=Requester(5, "Bo", None), prompt="p",
               upstream_prompt="p", **extra)  # type: ignore[arg-type]  # fmt: skip


async def test_schema_is_created_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bot.sqlite3"
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()
    store = await Store.open(path)  # opening again migrates nothing
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()


async def test_jobs_round_trip_and_unfinished(open_store: OpenStore) -> None:
    store = await open_store()
    first = await store.create_job(_job())
    second = await store.create_job(_job(button_key="k1"))
    await store.update_job(first.id, state=JobState.DONE, progress=100)
    assert [j.id for j in await store.unfinished_jobs()] == [second.id]
    active = await store.active_job_for_button("k1")
    assert active is not None and active.id == second.id
    await store.update_job(second.id, state=JobState.FAILED, error="x")
    assert await store.active_job_for_button("k1") is None
    await store.close()


async def test_buttons_are_created_once_and_marked(open_store: OpenStore) -> None:
    store = await open_store()
    await store.save_image(Image("img1", "t", "https://x/1.png", actions=("upscale1", "reroll")))
    buttons = await store.create_buttons("img1", ["upscale1", "reroll"], chat_id=-1, message_id=9, owner_id=5)
    assert [b.action for b in buttons] == ["upscale1", "reroll"]
    assert len({b.key for b in buttons}) == 2 and all(len(b.key) <= 16 for b in buttons)
    again = await store.create_buttons("img1", ["upscale1", "reroll"], chat_id=-1, message_id=9, owner_id=5)
    assert again == buttons
    await store.mark_pressed(buttons[1].key)
    fetched = await store.get_button(buttons[1].key)
    assert fetched is not None and fetched.pressed and fetched.message_id == 9
    await store.move_result("img1", 42)
    assert all(b.message_id == 42 for b in await store.buttons_for_image("img1"))
    await store.close()


async def test_updates_are_seen_once(open_store: OpenStore) -> None:
    store = await open_store()
    assert await store.first_sighting(10)
    assert not await store.first_sighting(10)
    await store.close()


def _old_database(path: Path, version: int) -> None:
    """A file as a bot of schema `version` left it: only the first `version` migrations, with a
    job in flight, its finished parent image, that image's buttons (one pressed), a seen update and,
    from version 3 on, an open region picker. Written with plain sqlite3, as the old bot would."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        for script in MIGRATIONS[:version]:
            db.executescript(script)
        db.execute(f"PRAGMA user_version = {version}")
        db.execute(
            "INSERT INTO jobs (id, chat_id, chat_type, user_id, first_name, username, prompt, upstream_prompt,"
            " action, parent_image_id, reply_to, message_id, button_key, state, task_id, progress, attempts,"
            " created_at, updated_at, started_at) VALUES (7, -100, 'supergroup', 5, 'Bo', 'bo', 'a fox',"
            " 'a fox --v 6', 'upscale2', 'img1', 40, 41, 'key-u2', 'running', 'task-7', 55, 1, 1.0, 2.0, 1.5)"
        )
        db.execute(
            "INSERT INTO images (image_id, task_id, job_id, chat_id, message_id, prompt, image_url, image_width,"
            " image_height, is_grid, actions, created_at) VALUES ('img1', 'task-1', 1, -100, 30, 'a fox',"
            " 'https://cdn/1.png', 1024, 1024, 1, '[\"upscale2\", \"reroll\"]', 0.5)"
        )
        db.executemany(
            "INSERT INTO buttons (key, image_id, action, chat_id, message_id, owner_id, position, pressed,"
            " created_at) VALUES (?, 'img1', ?, -100, 30, 5, ?, ?, 0.5)",
            [("key-u2", "upscale2", 0, 1), ("key-rr", "reroll", 1, 0)],
        )
        db.execute("INSERT INTO seen_updates (update_id, seen_at) VALUES (900, 1.0)")
        if version >= 3:
            db.execute(
                "INSERT INTO pickers (key, chat_id, message_id, reply_to, image_id, owner_id, owner_name, cells,"
                " prompt, created_at) VALUES ('pick1', -100, 50, 30, 'img1', 5, 'Bo', '1,6', 'a crown', 3.0)"
            )
        db.commit()


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
async def test_an_old_schema_holding_data_is_upgraded(tmp_path: Path, version: int) -> None:
    path = tmp_path / "bot.sqlite3"
    _old_database(path, version)
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)

    # The job in flight survives whole, and the columns added since read as their defaults.
    [job] = await store.unfinished_jobs()
    assert (job.id, job.chat_id, job.chat_type) == (7, -100, "supergroup")
    assert job.requester == Requester(5, "Bo", "bo")
    assert (job.prompt, job.upstream_prompt, job.action, job.parent_image_id) == (
        "a fox", "a fox --v 6", "upscale2", "img1",
    )  # fmt: skip
    assert (job.state, job.task_id, job.progress, job.attempts) == (JobState.RUNNING, "task-7", 55, 1)
    assert (job.reply_to, job.message_id, job.button_key, job.started_at) == (40, 41, "key-u2", 1.5)
    assert (job.sources, job.callback_secret, job.trace_id) == ((), None, None)
    active = await store.active_job_for_button("key-u2")
    assert active is not None and active.id == 7

    image = await store.get_image("img1")
    assert image is not None and image.actions == ("upscale2", "reroll") and image.message_id == 30
    pressed, retry = await store.get_button("key-u2"), await store.get_button("key-rr")
    assert pressed is not None and pressed.pressed and pressed.job_id is None
    assert retry is not None and not retry.pressed and retry.action == "reroll"
    assert not await store.first_sighting(900), "an update seen before the upgrade stays seen"
    if version >= 3:
        picker = await store.pickers.get("pick1")
        assert picker is not None and picker.cells == frozenset({1, 6}) and picker.prompt == "a crown"

    # The new columns and tables work on the old rows, and new rows follow them.
    await store.update_job(7, trace_id="trace-7", callback_secret="secret-7")
    found = await store.job_by_callback("secret-7")
    assert found is not None and (found.id, found.trace_id) == (7, "trace-7")
    new = await store.create_job(_job())
    assert new.id == 8
    await store.close()

from pathlib import Path

from bot.domain import Image, Job, JobState, Requester
from bot.store import MIGRATIONS, Store


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


async def test_jobs_round_trip_and_unfinished(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db")
    first = await store.create_job(_job())
    second = await store.create_job(_job(button_key="k1"))
    await store.update_job(first.id, state=JobState.DONE, progress=100)
    assert [j.id for j in await store.unfinished_jobs()] == [second.id]
    active = await store.active_job_for_button("k1")
    assert active is not None and active.id == second.id
    await store.update_job(second.id, state=JobState.FAILED, error="x")
    assert await store.active_job_for_button("k1") is None
    await store.close()


async def test_buttons_are_created_once_and_marked(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db")
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


async def test_updates_are_seen_once(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db")
    assert await store.first_sighting(10)
    assert not await store.first_sighting(10)
    await store.close()

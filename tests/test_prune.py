"""The database's schedule of forgetting: closed pickers, finished masks, expired hosting, old
albums and updates go; jobs, pictures and button keys stay."""

from __future__ import annotations

from bot.core.domain import Job, JobState, Picker, PickerState, Picture, Requester
from bot.store import Store
from tests.conftest import WallClock


async def test_prune_drops_only_what_nothing_needs(store: Store, wall_clock: WallClock) -> None:
    now = wall_clock.now
    wall_clock.now = now - 2 * 86400  # the jobs ended two days ago
    job = await store.create_job(Job(id=0, chat_id=1, chat_type="private", requester=Requester(1, "A"),
                                     prompt="p", upstream_prompt="p", mask="bWFzaw=="))  # fmt: skip
    failed = await store.create_job(Job(id=0, chat_id=1, chat_type="private", requester=Requester(1, "A"),
                                        prompt="p", upstream_prompt="p", mask="bWFzaw=="))  # fmt: skip
    await store.update_job(job.id, state=JobState.DONE)
    await store.update_job(failed.id, state=JobState.FAILED)
    for key, state, age in (("closed", "submitted", 2), ("fresh", "submitted", 0), ("stale", "open", 8), ("open", "open", 2)):
        wall_clock.now = now - age * 86400
        await store.pickers.create(Picker(key, 1, "img", Requester(1, "A"), state=PickerState(state)))
    wall_clock.now = now
    await store.save_hosted("old", "https://x.test/a.png", now - 1)
    await store.save_hosted("live", "https://x.test/b.png", now + 3600)
    wall_clock.now = now - 8 * 86400
    await store.remember_album_item(1, "g", 5, Picture("f", "u"))
    wall_clock.now = now
    assert await store.prune(now) > 0
    assert [k for k in ("closed", "fresh", "stale", "open") if await store.pickers.get(k)] == ["fresh", "open"]
    done, kept = await store.get_job(job.id), await store.get_job(failed.id)
    assert done is not None and done.mask is None, "a finished picture's mask is dropped"
    assert kept is not None and kept.mask == "bWFzaw==", "a failed job keeps it for Retry"
    assert await store.hosted_url("old") is None and await store.hosted_url("live")
    assert await store.album(1, "g") == ()


async def test_chats_without_jobs_are_forgotten(store: Store, wall_clock: WallClock) -> None:
    await store.usage.remember_chat(-100, "Foxes")
    await store.usage.remember_chat(-200, "Owls")
    await store.create_job(Job(id=0, chat_id=-100, chat_type="group", requester=Requester(1, "A"), prompt="p",
                               upstream_prompt="p"))  # fmt: skip
    await store.prune(wall_clock.now)
    assert [c for c in (-100, -200) if await store.usage.chat_title(c)] == [-100]

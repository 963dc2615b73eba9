"""Rows ↔ domain objects, and the job columns in one list."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict

from bot.core.domain import Button, Image, Job, JobState, Picker, PickerState, Picture, Requester
from bot.store.db import Row

JOB_COLUMNS = (
    "chat_id", "chat_type", "user_id", "first_name", "username", "prompt", "upstream_prompt", "action",
    "parent_image_id", "mode", "mask", "reply_to", "message_id", "button_key", "state", "task_id", "progress",
    "preview_url", "error", "result_image_id", "attempts", "sources", "callback_secret", "trace_id", "reason",
    "lang", "translate", "notify",
)  # fmt: skip
# (jobs.origin_update is written once, by create_job: never updated)
FINISHED = tuple(str(s) for s in JobState if s.finished)
IN_PROGRESS = f"state NOT IN ({', '.join('?' * len(FINISHED))})"  # takes *FINISHED as parameters
UPDATABLE = frozenset(JOB_COLUMNS) | {"started_at", "finished_at"}


def new_key() -> str:
    """A short unguessable key for callback_data (11 URL-safe characters, 64 random bits)."""
    return secrets.token_urlsafe(8)


def job_from(row: Row) -> Job:
    return Job(
        id=row["id"],
        chat_id=row["chat_id"],
        chat_type=row["chat_type"],
        requester=Requester(row["user_id"], row["first_name"], row["username"], row["lang"]),
        prompt=row["prompt"],
        upstream_prompt=row["upstream_prompt"],
        action=row["action"],
        parent_image_id=row["parent_image_id"],
        mode=row["mode"],
        mask=row["mask"],
        reply_to=row["reply_to"],
        message_id=row["message_id"],
        button_key=row["button_key"],
        state=JobState(row["state"]),
        task_id=row["task_id"],
        progress=row["progress"],
        preview_url=row["preview_url"],
        error=row["error"],
        result_image_id=row["result_image_id"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        started_at=row["started_at"],
        sources=pictures_from(row["sources"]),
        callback_secret=row["callback_secret"],
        trace_id=row["trace_id"],
        translate=bool(row["translate"]),
        notify=bool(row["notify"]),
    )


def picker_from(row: Row) -> Picker:
    cells = frozenset(int(c) for c in row["cells"].split(",") if c)
    return Picker(
        key=row["key"], chat_id=row["chat_id"], message_id=row["message_id"], reply_to=row["reply_to"],
        image_id=row["image_id"], cells=cells,
        owner=Requester(row["owner_id"], row["owner_name"], row["owner_username"], lang=row["owner_lang"]),
        prompt=row["prompt"], state=PickerState(row["state"]),
    )  # fmt: skip


def cells_text(cells: frozenset[int]) -> str:
    return ",".join(str(c) for c in sorted(cells))


def pictures_from(raw: str | None) -> tuple[Picture, ...]:
    return tuple(Picture(**item) for item in json.loads(raw)) if raw else ()


def pictures_json(pictures: tuple[Picture, ...]) -> str | None:
    return json.dumps([asdict(p) for p in pictures]) if pictures else None


def image_from(row: Row) -> Image:
    return Image(
        image_id=row["image_id"],
        task_id=row["task_id"],
        image_url=row["image_url"],
        raw_image_url=row["raw_image_url"],
        image_width=row["image_width"],
        image_height=row["image_height"],
        raw_image_width=row["raw_image_width"],
        raw_image_height=row["raw_image_height"],
        actions=tuple(json.loads(row["actions"])),
        is_grid=bool(row["is_grid"]),
        prompt=row["prompt"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        lang=row["lang"],
    )


def button_from(row: Row) -> Button:
    return Button(
        row["key"], row["image_id"], row["action"], row["chat_id"], row["message_id"], bool(row["pressed"]),
        row["job_id"],
    )  # fmt: skip



"""/info: a person's running and waiting jobs (linked where Telegram allows), today's usage and
limits, and their settings."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from bot.core.domain import Allowance, Job, JobState, JobView, Requester
from bot.core.profile import Profile
from bot.core.prompt import english_of
from bot.i18n import Html
from bot.i18n import html as say
from bot.i18n import text as plain_text
from bot.render.job import status_of
from bot.render.replies import zone_name
from bot.render.settings import shown
from bot.render.spec import clip, mention


def _who(user: Requester) -> Html:
    return Html(mention(user))


def message_link(job: Job) -> str | None:
    """A t.me link to the job's message: only supergroups have them."""
    if job.message_id is None or not str(job.chat_id).startswith("-100"):
        return None
    return f"https://t.me/c/{str(job.chat_id)[4:]}/{job.message_id}"


def info(
    user: Requester,
    jobs: Sequence[Job],
    usage: Allowance,
    profile: Profile,
    chat_id: int,
    positions: Mapping[int, int | None] | None = None,
) -> str:
    """Jobs of other chats are counted, not named: a private prompt is not read out in a group."""
    lang = user.lang
    lines = [say(lang, "info.head", who=_who(user))]
    here = [j for j in jobs if j.chat_id == chat_id]
    running = [j for j in here if j.state in (JobState.SUBMITTING, JobState.RUNNING)]
    waiting = [j for j in here if j.state is JobState.QUEUED]
    if not jobs:
        lines.append(say(lang, "info.no_jobs"))
    for key, group in (("info.running", running), ("info.queued", waiting)):
        if group:
            lines.append(say(lang, key))
            lines += [_info_job(job, (positions or {}).get(job.id)) for job in group[:20]]
    if len(jobs) > len(here):
        lines.append(say(lang, "info.elsewhere", count=len(jobs) - len(here)))
    def limit(n: int) -> str:
        return str(n) if n else plain_text(lang, "info.no_limit")

    lines.append("")
    lines.append(say(lang, "info.today", used=usage.used, limit=limit(usage.limit)))
    if usage.chat_used is not None:
        lines.append(say(lang, "info.chat_today", used=usage.chat_used, limit=limit(usage.chat_limit)))
    lines.append(say(lang, "info.active", active=len(jobs), limit=limit(usage.active_limit)))
    if usage.limit or usage.chat_limit:
        lines.append(say(lang, "info.resets", time=f"{usage.resets_at:%H:%M}", zone=zone_name(usage.resets_at, lang)))
    words = shown(profile, lang, private=chat_id > 0)
    lines.append(say(lang, "info.settings", **{k: v for k, v in vars(words).items() if k != "language"}))
    return "\n".join(lines)


def _info_job(job: Job, position: int | None) -> str:
    title = html.escape(clip(job.title, 60))
    link = message_link(job)
    shown_title = f'<a href="{link}">{title}</a>' if link else title
    status = status_of(JobView(job, position=position))
    line = say(job.requester.lang, "info.job", link=Html(shown_title), status=status)
    english = english_of(job.prompt, job.upstream_prompt)
    return line + say(job.requester.lang, "job.english", text=clip(english, 200)) if english else line

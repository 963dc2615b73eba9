"""Texts for the operator's commands (/allow, /deny, /limit, /stats): pure functions, HTML."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.access import AccessConfig, Stats
from bot.store.usage import AccessEntry

USAGE = (
    "Admin commands: <code>/allow &lt;user or chat id&gt;</code> (or as a reply), "
    "<code>/deny &lt;id&gt;</code>, <code>/allow</code> alone lists the run-time entries, "
    "<code>/limit &lt;user id&gt; &lt;jobs a day | default&gt;</code>, <code>/stats</code>."
)


PRIVATE_ONLY = "📬 Reports name people and their usage, so I give them only in a private chat: send it to me there."
ADMIN_ALWAYS = "That user is an admin: admins are always allowed (remove them from ADMIN_USER_IDS instead)."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _who(target: int) -> str:
    return f"chat <code>{target}</code>" if target < 0 else f"user <code>{target}</code>"


def changed(target: int, allowed: bool) -> str:
    if allowed:
        return f"✅ {_who(target)} may use the bot now (kept across restarts)."
    return f"🚫 {_who(target)} may not use the bot now (kept across restarts)."


def limit_set(user_id: int, daily: int | None, default: int) -> str:
    if daily is None:
        rule = f"the default ({default or 'no limit'})"
    else:
        rule = "no limit" if daily == 0 else f"{daily} jobs a day"
    return f"📏 Daily limit of user <code>{user_id}</code>: {rule}."


def entries(found: list[AccessEntry], config: AccessConfig, tz: ZoneInfo) -> str:
    mode = (
        "open to everyone (ALLOWED_USER_IDS and ALLOWED_CHAT_IDS are empty)"
        if not config.users and not config.chats
        else f"{_plural(len(config.users), 'user')} and {_plural(len(config.chats), 'chat')} allowed in .env"
    )
    lines = [f"<b>Access</b>: {mode}; {_plural(len(config.admins), 'admin')}."]
    if not found:
        lines.append("No run-time /allow or /deny entries.")
    for entry in found:
        when = datetime.fromtimestamp(entry.created_at, tz).strftime("%Y-%m-%d %H:%M")
        lines.append(f"{'✅' if entry.allowed else '🚫'} {_who(entry.target)} ({when})")
    return "\n".join(lines)


def stats(report: Stats, tz: ZoneInfo) -> str:
    lines = [f"📊 <b>Jobs today</b>: {report.today} · <b>in progress now</b>: {report.waiting}"]
    lines.append("<b>Last 7 days</b>: " + ", ".join(f"{day[5:]} {count}" for day, count in report.days))
    if report.failures:
        lines.append("<b>Failures</b> (7 days): " + ", ".join(f"{reason} {n}" for reason, n in report.failures))
    else:
        lines.append("<b>Failures</b> (7 days): none")
    if report.users:
        lines.append("<b>Busiest users</b>:")
        lines += [f"  {html.escape(name)} (<code>{uid}</code>): {n}" for name, uid, n in report.users]
    if report.chats:
        lines.append("<b>Busiest chats</b>:")
        lines += [f"  {html.escape(title)} (<code>{cid}</code>): {n}" for title, cid, n in report.chats]
    lines.append(f"<i>Days in {tz.key}.</i>")
    return "\n".join(lines)

"""Texts for the operator's commands (/allow, /deny, /limit, /stats), in the admin's language:
pure functions, HTML."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.access import AccessConfig, Stats
from bot.i18n import Html, html, text
from bot.render.replies import zone_name
from bot.store.usage import AccessEntry


def usage(lang: str) -> str:
    return html(lang, "admin.usage")


def private_only(lang: str) -> str:
    return html(lang, "admin.private_only")


def admin_always(lang: str) -> str:
    return html(lang, "admin.admin_always")


def _who(target: int, lang: str) -> Html:
    return Html(html(lang, "admin.chat" if target < 0 else "admin.user", id=target))


def changed(target: int, allowed: bool, lang: str) -> str:
    return html(lang, "admin.allowed" if allowed else "admin.denied", who=_who(target, lang))


def limit_set(user_id: int, daily: int | None, default: int, lang: str) -> str:
    if daily is None:
        rule = text(lang, "admin.limit_default", default=default or text(lang, "admin.no_limit"))
    else:
        rule = text(lang, "admin.no_limit") if daily == 0 else text(lang, "admin.per_day", count=daily)
    return html(lang, "admin.limit_set", user_id=user_id, rule=rule)


def entries(found: list[AccessEntry], config: AccessConfig, tz: ZoneInfo, lang: str) -> str:
    if not config.users and not config.chats:
        mode = text(lang, "admin.open")
    else:
        mode = text(lang, "admin.listed", users=len(config.users), chats=len(config.chats))
    lines = [html(lang, "admin.access", mode=mode, admins=len(config.admins))]
    if not found:
        lines.append(html(lang, "admin.no_entries"))
    for entry in found:
        when = datetime.fromtimestamp(entry.created_at, tz).strftime("%Y-%m-%d %H:%M")
        lines.append(f"{'✅' if entry.allowed else '🚫'} {_who(entry.target, lang)} ({when})")
    return "\n".join(lines)


def stats(report: Stats, tz: ZoneInfo, lang: str) -> str:
    none = text(lang, "admin.none")
    lines = [html(lang, "admin.stats_today", today=report.today, waiting=report.waiting)]
    lines.append(html(lang, "admin.stats_days", days=", ".join(f"{day[5:]} {count}" for day, count in report.days)))
    failures = ", ".join(f"{reason} {n}" for reason, n in report.failures) or none
    lines.append(html(lang, "admin.stats_failures", failures=failures))
    if report.users:
        lines.append(html(lang, "admin.stats_users"))
        lines += [html(lang, "admin.row", name=name, id=uid, count=n) for name, uid, n in report.users]
    if report.chats:
        lines.append(html(lang, "admin.stats_chats"))
        lines += [html(lang, "admin.row", name=title or _untitled(cid, lang), id=cid, count=n)
                  for title, cid, n in report.chats]  # fmt: skip
    lines.append(html(lang, "admin.stats_zone", zone=zone_name(datetime.now(tz), lang)))
    return "\n".join(lines)


def _untitled(chat_id: int, lang: str) -> str:
    return text(lang, "admin.private_chat" if chat_id > 0 else "admin.a_group")

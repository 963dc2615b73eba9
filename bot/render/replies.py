"""Short replies, in the reader's language: why nothing was started, how to use a command, /help.
Pure functions of domain objects; HTML unless named otherwise."""

from __future__ import annotations

import html
from datetime import datetime

from bot.core.domain import Refusal, Refused
from bot.i18n import CATALOGUES, Html
from bot.i18n import html as say
from bot.i18n import text as plain_text


def plain(text: str) -> str:
    """Escape a plain message for HTML parse mode."""
    return html.escape(text, quote=False)


def usage(lang: str) -> str:
    return say(lang, "usage.imagine")


def refusal(refused: Refused, now: datetime, lang: str, user_id: int | None = None) -> str:
    """Why a job was not started, in one plain line, with when a daily limit resets (and, for a
    stranger, the id the admin needs to let them in)."""
    why = refused.why
    if why is Refusal.TOO_MANY:
        return plain_text(lang, "refused.too_many")
    if why is Refusal.BUSY:
        return plain_text(lang, "refused.busy")
    if why is Refusal.ADMINS_ONLY:
        return plain_text(lang, "refused.admins_only")
    if why in (Refusal.USER_DAILY, Refusal.CHAT_DAILY):
        key = "refused.user_daily" if why is Refusal.USER_DAILY else "refused.chat_daily"
        first = plain_text(lang, key, limit=refused.limit)
        when = resets(refused.resets_at, now, lang)
        return plain_text(lang, "refused.joined", first=first, second=when) if when else first
    if user_id is not None:
        return plain_text(lang, "refused.not_allowed_id", user_id=user_id)
    return plain_text(lang, "refused.not_allowed")


def resets(resets_at: datetime | None, now: datetime, lang: str) -> str:
    """`It resets at 00:00 (Asia/Shanghai), in 3 h 12 min.`, or nothing when unknown."""
    if resets_at is None:
        return ""
    left = max(0, int((resets_at - now).total_seconds()) // 60)
    return plain_text(lang, "refused.resets", time=f"{resets_at:%H:%M}", zone=zone_name(resets_at, lang),
                      hours=left // 60, minutes=left % 60)  # fmt: skip


def zone_name(moment: datetime, lang: str = "en") -> str:
    """The time zone as its readers call it: 北京时间 for Asia/Shanghai in Chinese; a zone the
    catalogue does not name is its IANA name in English and its UTC offset in Chinese."""
    key = getattr(moment.tzinfo, "key", None) or moment.tzname() or "UTC"
    named = CATALOGUES[lang].get(f"zone.{key}")
    if named:
        return named
    if lang == "en":
        return key
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60}" + (f":{abs(minutes) % 60:02d}" if minutes % 60 else "")


def blend_count(found: int, lang: str) -> str:
    """Plain: /blend got too many or too few pictures."""
    return plain_text(lang, "blend.too_many" if found > 5 else "blend.too_few", found=found)


def help_text(lang: str, bot_name: str | None = None) -> str:
    name = Html(f"@{html.escape(bot_name)}") if bot_name else plain_text(lang, "help.this_bot")
    return say(lang, "help", name=name)


def unknown_command(name: str, lang: str) -> str:
    return say(lang, "unknown.command", name=name[:40])

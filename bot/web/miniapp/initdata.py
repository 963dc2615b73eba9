"""Telegram's Mini App `initData`, checked exactly as Telegram documents: HMAC-SHA256 of the sorted
fields with a key derived from the bot token, and an `auth_date` no older than `INIT_DATA_MAX_AGE`
(nor from the future). Each refusal says why, so the page can tell the user what to do."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl

from bot.core.domain import Requester
from bot.core.prompt import clean_text
from bot.i18n import language_of

INIT_DATA_MAX_AGE = 3600.0
INIT_DATA_CLOCK_SKEW = 60.0  # auth_date may be this far ahead of our clock


class InitDataError(ValueError):
    """`reason` is "expired" (signed by Telegram, but too old: open the page again) or
    "not_telegram" (no signature, a wrong one, or incomplete data)."""

    def __init__(self, message: str, reason: str = "not_telegram") -> None:
        super().__init__(message)
        self.reason = reason


def check_init_data(init_data: str, bot_token: str, *, now: float | None = None) -> Requester:
    """The user who opened the Mini App, if `init_data` is Telegram's and fresh."""
    fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=False))
    given = fields.pop("hash", "")
    if not given:
        raise InitDataError("no hash")
    check_string = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise InitDataError("bad signature")
    try:
        auth_date = int(fields["auth_date"])  # "nan" or "1e99" are not a time
        user = json.loads(fields["user"])
        requester = Requester(int(user["id"]), clean_text(str(user.get("first_name") or "")), user.get("username"),
                              language_of(user.get("language_code")))  # fmt: skip
    except (KeyError, ValueError, TypeError) as exc:
        raise InitDataError("incomplete init data") from exc
    age = (now or time.time()) - auth_date
    if age > INIT_DATA_MAX_AGE:
        raise InitDataError("init data too old", "expired")
    if age < -INIT_DATA_CLOCK_SKEW:
        raise InitDataError("init data from the future")
    return requester

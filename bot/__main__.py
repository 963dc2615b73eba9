"""`python -m bot`: read settings, set up logging, run the bot until SIGINT/SIGTERM."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import secrets
import sys

os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta, PTB's future default

from pydantic import SecretStr, ValidationError

from bot.config import Settings, describe_error
from bot.telegram.app import serve


class RedactingFormatter(logging.Formatter):
    """Replaces secrets in every formatted line, tracebacks included: PTB logs its token-bearing
    base URL at DEBUG, and an exception message may quote a URL."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if len(s) >= 4]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    hidden = [settings.telegram_bot_token.get_secret_value(), settings.acedata_api_token.get_secret_value(),
               settings.platform_token.get_secret_value()]  # fmt: skip
    if settings.telegram_webhook_secret:
        hidden.append(settings.telegram_webhook_secret.get_secret_value())
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", hidden))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    # httpx logs every request URL at INFO, and Telegram URLs contain the bot token.
    for noisy in ("httpx", "httpcore", "hpack", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def harden_process() -> None:
    """Files the bot creates (database, pictures) are its owner's alone, and the web port may hold
    as many connections as the system lets this process open."""
    os.umask(0o077)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))


def main() -> int:
    try:
        settings = Settings()  # values come from the environment and .env
    except ValidationError as exc:
        print(describe_error(exc), file=sys.stderr)
        return 2
    if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
        # Made here, before logging starts, so that the redactor knows it too (it is in requests
        # that PTB logs at DEBUG).
        settings.telegram_webhook_secret = SecretStr(secrets.token_urlsafe(32))
    harden_process()
    configure_logging(settings)
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())

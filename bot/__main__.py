"""`python -m bot`: read settings, set up logging, run the bot until SIGINT/SIGTERM."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import secrets
import sys
from typing import TextIO
from urllib.parse import urlsplit

os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta, PTB's future default

from pydantic import SecretStr, ValidationError
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from bot.config import Settings, describe_error
from bot.runtime import logcontext
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


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object a line (python-json-logger), with the same redaction as the text format in
    front: secrets are replaced in the serialised line, tracebacks included."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )
        kept = [s for s in secrets if len(s) >= 4]
        self._secrets = kept + [e for e in (json.dumps(s)[1:-1] for s in kept) if e not in kept]  # as JSON writes them

    def format(self, record: logging.LogRecord) -> str:
        for name in logcontext.FIELDS:  # only the fields this line is about
            if getattr(record, name, None) is None and hasattr(record, name):
                delattr(record, name)
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text


def secrets_of(settings: Settings) -> list[str]:
    hidden = [settings.telegram_bot_token.get_secret_value(), settings.acedata_api_token.get_secret_value(),
              settings.platform_token.get_secret_value()]  # fmt: skip
    for secret in (settings.telegram_webhook_secret, settings.metrics_token):
        if secret is not None:
            hidden.append(secret.get_secret_value())
    if settings.database_url is not None:  # the whole URL, and its password on its own
        url = settings.database_url.get_secret_value()
        hidden.append(url)
        password = urlsplit(url).password
        if password:
            hidden.append(password)
    return hidden


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Text (the default) or one JSON object a line (LOG_FORMAT=json), secrets redacted in both."""
    handler = logging.StreamHandler(stream or sys.stdout if settings.log_format == "json" else stream)
    hidden = secrets_of(settings)
    if settings.log_format == "json":
        handler.setFormatter(RedactingJsonFormatter(hidden))
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", hidden))
    handler.addFilter(logcontext.ContextFilter())
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and Telegram URLs contain the bot token.
    for noisy in ("httpx", "httpcore", "hpack", "aiosqlite", "psycopg"):
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

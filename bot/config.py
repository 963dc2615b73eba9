"""Settings: the one place the environment and `.env` are read.

The variable names are a public interface (operators and deploy tooling rely on them), so every field
maps 1:1 to an upper-case environment variable of the same name.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the bot can be told from outside; built once in `__main__` and passed down."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    acedata_api_token: SecretStr
    acedata_api_url: str = "https://api.acedata.cloud"
    acedata_platform_url: str = "https://platform.acedata.cloud"
    acedata_platform_token: SecretStr | None = None
    database_path: Path = Path("data/bot.sqlite3")
    # Several replicas share one PostgreSQL database (see the README's "Running several replicas").
    database_url: SecretStr | None = None  # postgresql://user:pass@host:5432/db; SQLite at DATABASE_PATH when unset
    replica_id: str | None = None  # this replica's name in the log (default: host:pid)
    job_lease_seconds: float = Field(30.0, ge=3, le=600)  # a dead replica's jobs are taken over after this
    acedata_max_concurrency: int = Field(5, ge=1, le=1000)
    acedata_submit_interval: float = Field(1.0, ge=0, le=60)
    acedata_busy_backoff: float = Field(5.0, ge=0, le=600)
    acedata_stall_seconds: float = Field(90.0, gt=0, le=3600)
    acedata_poll_seconds: float = Field(3.0, gt=0, le=300)
    acedata_retry_seconds: float = Field(2.0, ge=0, le=600)
    queue_refresh_seconds: float = Field(1.0, gt=0, le=60)
    album_wait_seconds: float = Field(1.5, gt=0, le=30)
    acedata_callback: bool = False
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object a line, for a log collector
    metrics: bool = True  # record the Prometheus series (served at /metrics by the web server)
    metrics_token: SecretStr | None = None  # /metrics wants `Authorization: Bearer <token>` when set
    shutdown_timeout_seconds: float = Field(20.0, gt=0, le=600)  # a SIGTERM ends the process within this
    suggestion_job_weight: int = Field(1, ge=0, le=100)  # a /describe or /shorten against daily limits
    allow_private_urls: bool = False  # callbacks' pictures may be http or on private addresses (tests)
    job_timeout_minutes: float = Field(10.0, gt=0, le=24 * 60)
    user_max_active_jobs: int = Field(10, ge=0, le=10_000)

    # Who may spend the AceData credit, and how much (see the README's "Operating the bot").
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    allowed_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    allowed_chat_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    daily_limit_per_user: int = Field(0, ge=0, le=1_000_000)
    daily_limit_per_chat: int = Field(0, ge=0, le=1_000_000)
    admin_chat_id: int | None = None
    tz: str = "UTC"  # the day the daily limits count in
    default_language: str = "en"  # for people whose Telegram language is neither English nor Chinese

    # The built-in web server and picture hosting.
    public_url: str | None = None
    http_host: str = "0.0.0.0"
    http_port: int = Field(8080, ge=1, le=65535)
    media_ttl_hours: float = Field(24.0, gt=0, le=24 * 365)
    # The Draw mask Mini App in groups: its direct link, https://t.me/<bot>/<app> (BotFather /newapp,
    # its URL set to {PUBLIC_URL}/webapp/region) or https://t.me/<bot> (the bot's Main Mini App).
    mini_app_link: str | None = None

    # Webhook mode (long polling when unset).
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None

    # Telegram pacing (Telegram's documented limits; lower them only if Telegram tells you to).
    progress_edit_interval: float = Field(5.0, ge=0, le=60)
    group_reply_seconds: float = Field(60.0, gt=0, le=24 * 3600)  # short replies in groups delete themselves
    picker_timeout_minutes: float = Field(15.0, gt=0, le=7 * 24 * 60)  # an untouched region picker expires
    telegram_chat_interval: float = Field(1.0, ge=0, le=60)
    telegram_group_per_minute: int = Field(20, ge=1, le=1000)
    telegram_global_per_second: int = Field(30, ge=1, le=1000)

    @field_validator("admin_user_ids", "allowed_user_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        """Comma- or space-separated Telegram ids (chats are negative)."""
        if isinstance(value, str):
            try:
                return frozenset(int(part) for part in value.replace(",", " ").split())
            except ValueError:
                raise ValueError("must be Telegram ids (whole numbers) separated by commas") from None
        return value

    @field_validator("admin_chat_id", mode="before")
    @classmethod
    def _optional_id(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        value = (value or "en").lower()
        if value not in ("en", "zh"):
            raise ValueError("must be en or zh")
        return value

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be a time zone name such as UTC or Asia/Shanghai") from None
        return value or "UTC"

    @field_validator("telegram_api_url", "acedata_api_url", "acedata_platform_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("public_url", "telegram_webhook_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("mini_app_link")
    @classmethod
    def _mini_app_link(cls, value: str | None) -> str | None:
        if not value:
            return None
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https://t\.me/[A-Za-z][A-Za-z0-9_]{3,31}(/[A-Za-z0-9_]{3,64})?", value):
            raise ValueError("must be a direct link such as https://t.me/<bot username>/<app short name>")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("telegram_bot_token", "acedata_api_token")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("may only contain A-Z, a-z, 0-9, _ and - (1 to 256 characters)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not re.match(r"postgres(ql)?://", value.get_secret_value()):
            raise ValueError("must start with postgresql:// (or postgres://)")
        return value

    @model_validator(mode="after")
    def _callback_needs_public_url(self) -> Settings:
        if self.acedata_callback and not self.public_url:
            raise ValueError("ACEDATA_CALLBACK=true needs PUBLIC_URL (AceData must reach the bot)")
        if self.database_url and self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET must be set when DATABASE_URL and TELEGRAM_WEBHOOK_URL are: every replica"
                " needs the same one"
            )
        return self

    @property
    def replica_name(self) -> str:
        return self.replica_id or f"{socket.gethostname()}:{os.getpid()}"

    @property
    def web_server_needed(self) -> bool:
        """Webhook, self-hosted pictures or callbacks need it; so do health and metrics, when the
        operator sets HTTP_PORT."""
        return bool(self.public_url or self.telegram_webhook_url or "http_port" in self.model_fields_set)

    @property
    def media_dir(self) -> Path:
        return self.database_path.parent / "media"

    @property
    def platform_token(self) -> SecretStr:
        """The file-upload token falls back to the API token, as AceData issues one for both."""
        return self.acedata_platform_token or self.acedata_api_token


def describe_error(error: ValidationError) -> str:
    """One line naming the offending variable, for operators reading a crash-looping container."""
    first = error.errors()[0]
    if not first["loc"]:  # a rule across settings: its message names them
        return f"configuration error: {first['msg'].removeprefix('Value error, ')}"
    name = str(first["loc"][0]).upper()
    if first["type"] == "missing":
        return f"configuration error: {name} is required but not set"
    return f"configuration error: {name}: {first['msg']}"

"""Shared fixtures. The autouse fixture scrubs the environment so a developer's real tokens or
`.env` never leak into a test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

_PREFIXES = ("TELEGRAM_", "ACEDATA_", "DATABASE_", "LOG_", "PUBLIC_", "HTTP_", "MEDIA_", "PROGRESS_", "JOB_")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))  # no stray .env is read
    yield

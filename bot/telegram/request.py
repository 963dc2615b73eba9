"""PTB's HTTPX transport on the cycle-free client (the Bot API is the busiest HTTP user), counting
every Bot API call in the metrics by method and outcome (and the retry_after a 429 asks for)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from telegram.error import NetworkError
from telegram.request import HTTPXRequest

from bot.runtime import metrics
from bot.runtime.httpclient import AsyncClient


def method_label(url: str) -> str:
    """The Bot API method a URL calls (a word); every file download is "file" (its path names a
    file, and the URL holds the token): a label of a small, fixed set."""
    last = url.rsplit("/", 1)[-1]
    if "/file/" in url:
        return "file"
    return last if re.fullmatch(r"[A-Za-z]{1,40}", last) else "other"


class TelegramRequest(HTTPXRequest):
    def _build_client(self) -> httpx.AsyncClient:
        return AsyncClient(**self._client_kwargs)

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        name = method_label(url)
        try:
            status, payload = await super().do_request(url, method, *args, **kwargs)
        except NetworkError:
            metrics.telegram_call(name, "network")
            raise
        retry_after: float | None = None
        if status == 429:
            try:
                retry_after = float(json.loads(payload)["parameters"]["retry_after"])
            except (ValueError, KeyError, TypeError):
                retry_after = None
        outcome = "ok" if status < 400 else "429" if status == 429 else f"{status // 100}xx"
        metrics.telegram_call(name, outcome, retry_after)
        return status, payload

"""PTB's HTTPX transport on the cycle-free client (the Bot API is the busiest HTTP user)."""

from __future__ import annotations

import httpx
from telegram.request import HTTPXRequest

from bot.runtime.httpclient import AsyncClient


class TelegramRequest(HTTPXRequest):
    def _build_client(self) -> httpx.AsyncClient:
        return AsyncClient(**self._client_kwargs)

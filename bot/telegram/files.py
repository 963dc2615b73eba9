"""Downloads from Telegram: a user's picture, fetched through the Bot API by the job worker, so
the token-bearing file URL never leaves the bot."""

from __future__ import annotations

from telegram import Bot

from bot.media.hosting import Fetch


def telegram_fetch(bot: Bot) -> Fetch:
    """A `bot.media.hosting.Fetch` that downloads through the Bot API (the token stays inside the bot)."""

    async def fetch(file_id: str) -> bytes:
        file = await bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    return fetch

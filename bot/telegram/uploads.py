"""Pictures Telegram will not fetch by URL ("failed to get HTTP URL content", too big for a photo…):
the bot downloads them and uploads the bytes, as a document when too large for a photo."""

from __future__ import annotations

import httpx
from telegram import Bot, InlineKeyboardMarkup, InputMediaDocument, InputMediaPhoto, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.media.hosting import download
from bot.render.spec import MessageSpec

PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024
DOCUMENT_UPLOAD_LIMIT = 50 * 1024 * 1024
URL_REFUSED = (
    "failed to get http url content", "wrong file identifier", "wrong type of the web page content",
    "photo_invalid_dimensions", "image_process_failed", "too big", "webpage_media_empty", "wrong remote file",
    "photo_save_file_invalid", "entity too large",
)  # fmt: skip


def says(error: TelegramError, fragments: tuple[str, ...]) -> bool:
    text = error.message.lower()
    return any(f in text for f in fragments)


class Uploads:
    def __init__(self, bot: Bot, http: httpx.AsyncClient) -> None:
        self._bot = bot
        self._http = http

    async def replace_media(
        self, chat_id: int, message_id: int, spec: MessageSpec, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Telegram refused the URL of an edit: fetch the bytes ourselves and upload them."""
        if not isinstance(spec.photo, str):
            raise ValueError("Telegram refused an uploaded picture")
        data, name = await self._download(spec.photo)
        media: InputMediaPhoto | InputMediaDocument
        if len(data) <= PHOTO_UPLOAD_LIMIT:
            media = InputMediaPhoto(data, caption=spec.body, parse_mode=ParseMode.HTML, filename=name)
            try:
                await self._bot.edit_message_media(media, chat_id, message_id, reply_markup=markup)
                return
            except BadRequest as exc:
                if not says(exc, URL_REFUSED):
                    raise
        media = InputMediaDocument(data, caption=spec.body, parse_mode=ParseMode.HTML, filename=name)
        await self._bot.edit_message_media(media, chat_id, message_id, reply_markup=markup)

    async def send(
        self, chat_id: int, url: str, spec: MessageSpec, markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None,
    ) -> Message:  # fmt: skip
        """A new message whose picture Telegram would not fetch by URL: the bytes, uploaded (as a
        document when too large for a photo)."""
        data, name = await self._download(url)
        if len(data) <= PHOTO_UPLOAD_LIMIT:
            try:
                return await self._bot.send_photo(chat_id, data, caption=spec.body, parse_mode=ParseMode.HTML,
                                                  reply_markup=markup, reply_parameters=reply, filename=name)  # fmt: skip
            except BadRequest as exc:
                if not says(exc, URL_REFUSED):
                    raise
        return await self._bot.send_document(chat_id, data, caption=spec.body, parse_mode=ParseMode.HTML,
                                             reply_markup=markup, reply_parameters=reply, filename=name)  # fmt: skip

    async def _download(self, url: str) -> tuple[bytes, str]:
        name = url.split("?", 1)[0].rsplit("/", 1)[-1] or "image.png"
        return await download(self._http, url, DOCUMENT_UPLOAD_LIMIT), name[-60:]

"""Which pictures a Telegram message brings: photos, image files, albums, the bot's own results.

Only metadata is read here (kind, MIME type, size); the bytes are fetched later by the job, in the
background, through `bot.telegram.files.telegram_fetch`.
"""

from __future__ import annotations

from telegram import Message

from bot.core.domain import Picture
from bot.media.hosting import MAX_IMAGE_BYTES, MediaError
from bot.store import Store

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def attached(message: Message) -> tuple[Picture, ...]:
    """The picture attached to this message; an unusable attachment raises `MediaError`."""
    if message.photo:
        largest = message.photo[-1]
        _check_size(largest.file_size)
        return (Picture(largest.file_id, largest.file_unique_id),)
    if message.document:
        document = message.document
        mime = (document.mime_type or "").lower()
        if mime == "image/gif":
            raise MediaError("media.gif")
        if mime not in IMAGE_TYPES:
            if document.file_name:
                raise MediaError("media.not_picture", name=document.file_name[:80])
            raise MediaError("media.unusable")
        _check_size(document.file_size)
        return (Picture(document.file_id, document.file_unique_id),)
    if message.sticker:
        raise MediaError("media.sticker")
    if message.animation or message.video or message.video_note:
        raise MediaError("media.video")
    return ()


def _check_size(size: int | None) -> None:
    if size is not None and size > MAX_IMAGE_BYTES:
        raise MediaError("media.too_large")


async def replied(message: Message, store: Store, bot_id: int) -> tuple[Picture, ...]:
    """Pictures of the message this one replies to: a whole album, a bot result, or one picture."""
    target = message.reply_to_message
    if target is None:
        return ()
    if target.from_user is not None and target.from_user.id == bot_id:
        image = await store.image_at(target.chat_id, target.message_id)
        if image is not None:
            return (Picture(url=image.image_url),)
    if target.media_group_id:
        album = await store.album(target.chat_id, target.media_group_id)
        if album:
            return album
    return attached(target)

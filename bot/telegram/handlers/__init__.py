"""Telegram updates → one service call each. `register` adds them all to the application."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from bot.telegram.context import BotApplication
from bot.telegram.handlers.admin import allow, deny, limit, stats
from bot.telegram.handlers.basics import (
    help_command,
    id_command,
    on_error,
    only_once,
    plain_text,
    unknown_command,
)
from bot.telegram.handlers.buttons import button, picker_prompt
from bot.telegram.handlers.imagine import album_item, command
from bot.telegram.handlers.settings import prefer, settings, speed
from bot.telegram.handlers.tools import describe, info_command, shorten

_CAPTION_COMMAND = filters.CaptionRegex(r"(?i)^/(imagine|blend)(@\w+)?(\s|$)")
_CAPTION_DESCRIBE = filters.CaptionRegex(r"(?i)^/describe(@\w+)?(\s|$)")


class _InAlbum(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return bool(message.media_group_id)


def register(application: BotApplication) -> None:
    application.add_handler(TypeHandler(Update, only_once), group=-1)
    new = filters.UpdateType.MESSAGE  # an edited /imagine must not start a second job
    application.add_handler(CommandHandler(["imagine", "blend"], command, filters=new))
    application.add_handler(CommandHandler(["start", "help"], help_command, filters=new))
    application.add_handler(CommandHandler("id", id_command, filters=new))
    for name, callback in (
        ("allow", allow), ("deny", deny), ("limit", limit), ("stats", stats), ("settings", settings),
        ("prefer", prefer), ("describe", describe), ("shorten", shorten), ("info", info_command),
    ):  # fmt: skip
        application.add_handler(CommandHandler(name, callback, filters=new))
    application.add_handler(CommandHandler(["fast", "relax", "turbo"], speed, filters=new))
    application.add_handler(
        MessageHandler(new & _InAlbum() & (filters.PHOTO | filters.Document.ALL), album_item)
    )
    application.add_handler(MessageHandler(new & _CAPTION_COMMAND, command))
    application.add_handler(MessageHandler(new & _CAPTION_DESCRIBE, describe))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(
        MessageHandler(new & filters.REPLY & filters.TEXT & ~filters.COMMAND, picker_prompt)
    )
    application.add_handler(MessageHandler(new & filters.COMMAND, unknown_command))
    application.add_handler(
        MessageHandler(new & filters.ChatType.PRIVATE & filters.TEXT & ~filters.REPLY, plain_text)
    )
    application.add_error_handler(on_error)

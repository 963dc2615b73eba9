"""Fakes of the bot's two remote services (Telegram Bot API, AceData) for end-to-end tests."""

from .acedata import FakeAceData
from .base import FakeServer, HttpError
from .forms import FormPart
from .html_entities import parse_html, utf16_len
from .images import image_size, make_jpeg, make_png, sniff_image
from .server import ServerThread
from .telegram import BOT_USER, FakeTelegram
from .telegram_records import Call, FakeMessage
from .waiting import wait_for

__all__ = [
    "BOT_USER",
    "Call",
    "FakeAceData",
    "FakeMessage",
    "FakeServer",
    "FakeTelegram",
    "FormPart",
    "HttpError",
    "ServerThread",
    "image_size",
    "make_jpeg",
    "make_png",
    "parse_html",
    "sniff_image",
    "utf16_len",
    "wait_for",
]

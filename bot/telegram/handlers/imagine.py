"""/imagine and /blend, typed or as a photo caption, alone, in an album, or as a reply.

The handler works out the prompt and the pictures, answers bad input with one clear line, and
queues the job; the job layer replies and edits from then on.
"""

from __future__ import annotations

import functools
import re

from telegram import Message, Update

from bot.core.domain import Picture, Refusal, Refused
from bot.core.profile import with_defaults
from bot.core.prompt import MAX_IMAGE_URLS, PromptError, parse_prompt
from bot.media.hosting import MediaError
from bot.render import replies
from bot.telegram.context import BotContext, TelegramServices
from bot.telegram.handlers.common import brief, refuse, warn, who
from bot.telegram.handlers.pictures import attached, replied

_COMMAND = re.compile(r"^/(imagine|blend)(?:@(\w+))?(?:\s+|$)(.*)$", re.IGNORECASE | re.DOTALL)


def parse_command(text: str | None, bot_username: str | None) -> tuple[str, str] | None:
    """("imagine"|"blend", argument) for a command addressed to us, else None."""
    match = _COMMAND.match(text or "")
    if match is None:
        return None
    if match.group(2) and bot_username and match.group(2).lower() != bot_username.lower():
        return None
    return match.group(1).lower(), match.group(3).strip()


async def command(update: Update, context: BotContext) -> None:
    """/imagine or /blend in a text message, or as the caption of a single photo or file."""
    message = update.effective_message
    if message is None:
        return
    if message.media_group_id:
        await album_item(update, context)
        return
    parsed = parse_command(message.text or message.caption, context.bot.username)
    if parsed is None:
        return
    try:
        pictures = attached(message)
    except MediaError as exc:
        user, _ = await who(context.services, message.from_user)
        warn(context.services, message, exc.msg.text(user.lang))
        return
    await start(context.services, message, parsed, pictures, context.bot.id)


async def album_item(update: Update, context: BotContext) -> None:
    """Every photo of an album is remembered (for a later reply /blend) and collected briefly."""
    message = update.effective_message
    if message is None or not message.media_group_id:
        return
    services = context.services
    try:
        for picture in attached(message):
            await services.core.store.remember_album_item(
                message.chat_id, message.media_group_id, message.message_id, picture, message.to_json()
            )
    except MediaError:
        pass  # only matters if the album is used; then the command reports it
    services.albums.add(message, functools.partial(album_complete, services, context.bot.username, context.bot.id))


async def album_complete(services: TelegramServices, bot_username: str, bot_id: int, messages: list[Message]) -> None:
    """A whole album arrived: act on it if one of its captions is our command."""
    for message in messages:
        parsed = parse_command(message.caption, bot_username)
        if parsed is None:
            continue
        try:
            pictures = tuple(p for m in messages for p in attached(m))
        except MediaError as exc:
            user, _ = await who(services, message.from_user)
            warn(services, message, exc.msg.text(user.lang))
            return
        await start(services, message, parsed, pictures, bot_id)
        return


async def start(
    services: TelegramServices, message: Message, parsed: tuple[str, str], pictures: tuple[Picture, ...], bot_id: int
) -> None:
    name, argument = parsed
    user, profile = await who(services, message.from_user)
    if not await services.core.access.allowed(user.user_id, message.chat_id):  # before any other reply
        refuse(services, message, Refused(Refusal.NOT_ALLOWED), user.lang)
        return
    try:
        pictures = await replied(message, services.core.store, bot_id) + pictures
    except MediaError as exc:
        warn(services, message, exc.msg.text(user.lang))
        return
    if name == "imagine" and not argument and not pictures:
        brief(services, message, replies.usage(user.lang))
        return
    try:
        prompt = with_defaults(parse_prompt(argument, pictures=len(pictures), blend=name == "blend"), profile)
    except PromptError as exc:
        warn(services, message, exc.msg.text(user.lang))
        return
    found = len(pictures) + len(prompt.image_urls)
    if name == "blend" and not 2 <= found <= MAX_IMAGE_URLS:
        warn(services, message, replies.blend_count(found, user.lang))
        return
    job = await services.core.jobs.imagine(
        chat_id=message.chat_id, chat_type=message.chat.type, requester=user, reply_to=message.message_id,
        prompt=prompt, pictures=pictures, wishes=profile.wishes,
    )  # fmt: skip
    if isinstance(job, Refused):
        refuse(services, message, job, user.lang)

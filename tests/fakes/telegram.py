"""A fake Telegram Bot API server for end-to-end tests of the bot.

It speaks the real wire format (PTB's ``Bot`` works against it unchanged) and keeps what a user
would see: a message store per chat, with each message's history. Tests act as users through
``user_message`` / ``press`` (queued as updates for getUpdates, or pushed to a webhook) and can
inject the failures production sees: flood control (429 + retry_after), refused URLs, any error.

With ``enforce_limits`` on, the fake also applies Telegram's flood limits by itself, as Telegram
does: about one call per second per chat (bursts of ``chat_burst``), ``group_per_minute`` calls
per minute into a group, ``global_per_second`` calls per second bot-wide. A call over a limit gets
a real 429 with ``retry_after`` and starts a ban (for the chat, or bot-wide for the global limit);
it is recorded in ``over_limit``, and every call made during any ban in ``violations``.

Server-side rules that matter to the bot are enforced like Telegram does: HTML parse mode is
parsed (bad markup → 400), text/caption limits, callback_data ≤ 64 bytes, "message is not
modified", editing text of a photo message and vice versa, answering a callback query twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .base import FakeServer, HttpError
from .forms import FormPart, parse_request
from .html_entities import utf16_len
from .images import image_size, sniff_image, thumbnail_jpeg
from .telegram_records import Call, FakeMessage

Params = dict[str, Any]
Files = dict[str, FormPart]
JSON = dict[str, Any]

BOT_USER: JSON = {
    "id": 1000,
    "is_bot": True,
    "first_name": "MJ Test",
    "username": "mj_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

METHODS = (
    "getMe getUpdates deleteWebhook setWebhook getWebhookInfo setMyCommands getMyCommands "
    "deleteMyCommands sendMessage sendPhoto sendDocument sendChatAction editMessageText "
    "editMessageCaption editMessageMedia editMessageReplyMarkup deleteMessage answerCallbackQuery "
    "getFile getChat close logOut setMyDescription setMyShortDescription setMyName setChatMenuButton"
).split()
_CANONICAL = {name.lower(): name for name in METHODS}

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_DIMENSIONS = 10000  # width + height
GET_FILE_MAX_BYTES = 20 * 1024 * 1024
CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)
BUTTON_ACTIONS = frozenset(
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat copy_text callback_game pay".split()
)

# Form values arrive as strings; only these keys are turned back into ints / bools, so a
# caption "123" or "true" stays a string.
_INT_KEYS = frozenset("offset limit timeout cache_time max_connections width height duration".split())
_STRING_ID_KEYS = frozenset(
    "callback_query_id file_id file_unique_id inline_message_id message_effect_id "
    "business_connection_id custom_emoji_id".split()
)
_BOOL_PREFIXES = ("disable_", "protect_", "allow_", "show_", "has_", "drop_", "is_", "supports_")
_INT_RE = re.compile(r"-?\d+")


def canonical_method(name: str) -> str:
    """Telegram method names are case-insensitive; log them as the docs spell them."""
    return _CANONICAL.get(name.lower(), name[:1].lower() + name[1:])


def is_sending(method: str) -> bool:
    """Methods subject to flood control: send*, edit*, deleteMessage."""
    return method.startswith(("send", "edit")) or method == "deleteMessage"


def counts_against_limits(method: str) -> bool:
    """Calls that use up Telegram's flood limits: sends, edits and deletes (not chat actions)."""
    return is_sending(method) and method != "sendChatAction"


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            decoded = json.loads(stripped)
            if isinstance(decoded, dict | list):
                return decoded
    is_int_key = key in _INT_KEYS or (key.endswith("_id") and key not in _STRING_ID_KEYS)
    if is_int_key and _INT_RE.fullmatch(stripped):
        return int(stripped)
    if key.startswith(_BOOL_PREFIXES) and stripped in ("true", "false"):
        return stripped == "true"
    return value


def decode_params(params: Params) -> Params:
    """Undo form encoding: JSON objects/arrays, ids and flags back to their types."""
    return {key: _decode_value(key, value) for key, value in params.items()}


def tg_error(status: int, description: str, retry_after: int | None = None) -> HttpError:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return HttpError(status, body)


def _bad(description: str) -> HttpError:
    return tg_error(400, f"Bad Request: {description}")


def _flood_error(retry_after: int) -> HttpError:
    return tg_error(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value)
    return None


def _command_entities(text: str | None) -> list[JSON] | None:
    if not text or not text.startswith("/"):
        return None
    word = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(word)}]


def _sha(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha1(raw).hexdigest()


class FakeTelegram(FakeServer):
    """Fake Bot API for ``token``; start() it and point the bot at ``{url}/bot``."""

    url_photo_size = (1024, 1024)  # reported for photos sent by URL (the fake does not fetch them)

    # Telegram's flood limits, applied by the fake itself while ``enforce_limits`` is on (off by
    # default: most end-to-end tests run the bot with fast test pacing). Set them per instance.
    enforce_limits = False
    clock: Callable[[], float] = staticmethod(time.monotonic)  # the limits' clock; tests may freeze it
    chat_interval = 1.0  # seconds per call into one chat, on average...
    chat_burst = 2  # ...in bursts of at most this many calls (a token bucket)
    group_per_minute = 20  # calls into one group (chat id < 0) in any 60 s
    global_per_second = 30  # calls bot-wide in any 1 s
    limit_slack = 0.05  # seconds of arrival jitter forgiven (the fake stamps calls as they arrive)

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []
        self.violations: list[Call] = []  # calls made while a ban (any retry_after) was running
        self.over_limit: list[Call] = []  # calls refused for going over the fake's own limits
        self.messages: dict[tuple[int, int], FakeMessage] = {}
        self.deleted_messages: dict[tuple[int, int], FakeMessage] = {}
        self.answers: dict[str, Params] = {}
        self.chats: dict[int, JSON] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.files: dict[str, JSON] = {}
        self.downloads: list[str] = []
        self.tokens_seen: set[str] = set()
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_deliveries: list[JSON] = []
        self.auto_push_webhook = True
        self.webhook_retry_delay = 0.2
        self.delays: dict[str, float] = {}  # seconds a method's answer takes (a slow Telegram)
        self.allowed_updates: list[str] = []
        self._file_paths: dict[str, JSON] = {}
        self._updates: list[JSON] = []
        self.sent_updates: dict[int, JSON] = {}
        self._next_update_id = 1
        self._next_message_ids: dict[int, int] = {}
        self._callback_seq = 0
        self._open_callbacks: set[str] = set()
        self._ban_until: dict[int, float] = {}
        self._floods: dict[int, list[int]] = {}
        self._flood_every: tuple[int, int] | None = None
        self._send_counts: dict[int, int] = {}
        self._global_ban_until = 0.0
        self._chat_budgets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, when)
        self._group_windows: dict[int, deque[float]] = {}
        self._global_window: deque[float] = deque()
        self._failures: dict[str, list[tuple[int, str, int | None]]] = {}
        self._refused_url: str | None = None
        self._poll_generation = 0
        self._closing = False
        self._wake_event = asyncio.Event()
        self._pusher: asyncio.Task[None] | None = None
        self._handlers: dict[str, Callable[[Params, Files], Any]] = {
            "getMe": lambda p, f: dict(BOT_USER),
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageMedia": self._edit_message_media,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "getChat": self._get_chat,
        }
        for name in ("close", "logOut", "setMyDescription", "setMyShortDescription", "setMyName"):
            self._handlers[name] = lambda p, f: True
        self._handlers["setChatMenuButton"] = lambda p, f: True

    # == app & lifecycle ======================================================================
    def _build_app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._bot_endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{file_path:path}", self._file_endpoint, methods=["GET"]),
            ]
        )

    def _reset_loop_state(self) -> None:
        self._wake_event = asyncio.Event()
        self._closing = False
        self._pusher = None

    async def _before_stop(self) -> None:
        self._closing = True
        self._wake()
        if self._pusher is not None:
            self._pusher.cancel()

    def _wake(self) -> None:
        """Wake long-polls and the webhook pusher (runs in the server loop)."""
        event, self._wake_event = self._wake_event, asyncio.Event()
        event.set()

    def _describe(self) -> str:
        with self._lock:
            calls = [f"  {c.method} chat={c.chat_id} -> {c.status}" for c in self.calls[-15:]]
            msgs = [
                f"  ({m.chat_id},{m.message_id}) bot={m.from_bot} text={m.text!r} caption={m.caption!r} "
                f"photo={'bytes' if isinstance(m.photo, bytes) else m.photo!r} buttons={len(m.buttons())}"
                for m in list(self.messages.values())[-10:]
            ]
        return (
            "last calls:\n"
            + "\n".join(calls or ["  (none)"])
            + "\nmessages:\n"
            + "\n".join(msgs or ["  (none)"])
        )

    # == HTTP endpoints =======================================================================
    async def _bot_endpoint(self, request: Request) -> Response:
        arrived = time.monotonic()
        token = request.path_params["token"]
        method = canonical_method(request.path_params["method"])
        parse_error: Exception | None = None
        try:
            raw_params, files = await parse_request(request)
        except ValueError as exc:
            raw_params, files, parse_error = {}, {}, exc
        params = decode_params(raw_params)
        logged = {**params, **{name: part.summary() for name, part in files.items()}}
        call = Call(method, logged, _as_int(params.get("chat_id")), arrived)
        try:
            if token != self.token:
                raise tg_error(401, "Unauthorized")
            if parse_error is not None:
                raise _bad(f"can't parse request: {parse_error}")
            self._gate(call)
            result = await self._dispatch(method, params, files)
            response = JSONResponse({"ok": True, "result": result})
        except HttpError as exc:
            response = exc.response()
        call.status = response.status_code
        with self._lock:
            self.tokens_seen.add(token)
            self.calls.append(call)
        return response

    async def _file_endpoint(self, request: Request) -> Response:
        token = request.path_params["token"]
        path = request.path_params["file_path"]
        with self._lock:
            self.tokens_seen.add(token)
            self.downloads.append(path)
            entry = self._file_paths.get(path)
        if token != self.token:
            return tg_error(401, "Unauthorized").response()
        if entry is None or entry.get("data") is None:
            return tg_error(404, "Not Found").response()
        return Response(entry["data"], media_type=entry.get("mime_type") or "application/octet-stream")

    async def _dispatch(self, method: str, params: Params, files: Files) -> Any:
        if method == "getUpdates":
            return await self._get_updates(params)
        delay = self.delays.get(method)
        if delay:  # a slow Telegram, for this method (tests set `delays`)
            await asyncio.sleep(delay)
        handler = self._handlers.get(method)
        if handler is None:
            raise tg_error(404, "Not Found")
        with self._lock:
            return handler(params, files)

    def _gate(self, call: Call) -> None:
        """Flood bans, injected failures, simulated flood control and Telegram's own limits,
        before the method runs."""
        now = self.clock()
        chat_id = call.chat_id if is_sending(call.method) else None
        with self._lock:
            if chat_id is not None:
                banned_until = max(self._ban_until.get(chat_id, 0.0), self._global_ban_until)
                if now < banned_until:
                    self.violations.append(call)
                    raise _flood_error(max(1, math.ceil(banned_until - now)))
            failures = self._failures.get(call.method)
            if failures:
                status, description, retry_after = failures.pop(0)
                if not failures:
                    del self._failures[call.method]
                raise tg_error(status, description, retry_after)
            if chat_id is None:
                return
            pending = self._floods.get(chat_id)
            if pending:
                retry_after = pending.pop(0)
                if not pending:
                    del self._floods[chat_id]
                self._ban_until[chat_id] = now + retry_after
                raise _flood_error(retry_after)
            if self._flood_every is not None:
                every, retry_after = self._flood_every
                count = self._send_counts[chat_id] = self._send_counts.get(chat_id, 0) + 1
                if count % every == 0:
                    self._ban_until[chat_id] = now + retry_after
                    raise _flood_error(retry_after)
            if self.enforce_limits and counts_against_limits(call.method):
                self._apply_limits(call, chat_id, now)

    def _apply_limits(self, call: Call, chat_id: int, now: float) -> None:
        """Telegram's flood limits (caller holds the lock): a call over one is refused with 429
        and starts a ban, bot-wide for the global limit; a call within all of them is counted."""
        slack = self.limit_slack
        window = self._global_window
        while window and window[0] <= now - (1.0 - slack):
            window.popleft()
        global_wait = 0.0
        if len(window) >= self.global_per_second:
            global_wait = window[len(window) - self.global_per_second] + (1.0 - slack) - now
        tokens = float(self.chat_burst)
        budget = self._chat_budgets.get(chat_id)
        if budget is not None and self.chat_interval > 0:
            tokens = min(tokens, budget[0] + (now - budget[1]) / self.chat_interval)
        need = 1.0 - slack / self.chat_interval if self.chat_interval > 0 else 0.0
        chat_wait = (need - tokens) * self.chat_interval if tokens < need else 0.0
        group = self._group_windows.setdefault(chat_id, deque()) if chat_id < 0 else None
        if group is not None:
            while group and group[0] <= now - (60.0 - slack):
                group.popleft()
            if len(group) >= self.group_per_minute:
                chat_wait = max(chat_wait, group[len(group) - self.group_per_minute] + (60.0 - slack) - now)
        if global_wait > 0 or chat_wait > 0:
            retry_after = max(1, math.ceil(max(global_wait, chat_wait)))
            if global_wait > 0:
                self._global_ban_until = now + retry_after
            else:
                self._ban_until[chat_id] = now + retry_after
            self.over_limit.append(call)
            raise _flood_error(retry_after)
        window.append(now)
        self._chat_budgets[chat_id] = (tokens - 1.0, now)
        if group is not None:
            group.append(now)

    # == updates: long polling and webhook ====================================================
    async def _get_updates(self, params: Params) -> list[JSON]:
        offset = _as_int(params.get("offset"))
        limit = min(100, max(1, _as_int(params.get("limit")) or 100))
        timeout = max(0.0, float(params.get("timeout") or 0))
        with self._lock:
            if self.webhook_url:
                raise tg_error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            allowed = params.get("allowed_updates")
            if isinstance(allowed, list):
                self.allowed_updates = [str(kind) for kind in allowed]
            self._poll_generation += 1
            generation = self._poll_generation
        self._wake()  # an older long-poll gets its 409, as on Telegram
        deadline = time.monotonic() + timeout
        while True:
            event = self._wake_event
            with self._lock:
                if generation != self._poll_generation:
                    raise tg_error(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                batch = self._take_updates(offset, limit)
                offset = None  # confirmed when the call came, as on Telegram: not again on wake-up
            remaining = deadline - time.monotonic()
            if batch or self._closing or remaining <= 0:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _take_updates(self, offset: int | None, limit: int) -> list[JSON]:
        """Confirm (drop for good) updates below ``offset``; return the next ``limit``."""
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if self.allowed_updates:
            self._updates = [u for u in self._updates if self._update_kind(u) in self.allowed_updates]
        return copy.deepcopy(self._updates[:limit])

    @staticmethod
    def _update_kind(update: JSON) -> str:
        return next(key for key in update if key != "update_id")

    def _queue_update(self, kind: str, payload: JSON) -> JSON:
        """Store an update (caller holds the lock, then calls ``_call_soon(self._wake)``)."""
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self.sent_updates[update["update_id"]] = copy.deepcopy(update)
        return update

    def redeliver(self, update_id: int) -> None:
        """Queue an already delivered update again, as Telegram does when a crashed bot never
        confirmed it."""
        with self._lock:
            self._updates.append(copy.deepcopy(self.sent_updates[update_id]))
            self._updates.sort(key=lambda u: u["update_id"])
        self._call_soon(self._wake)

    def _set_webhook(self, params: Params, files: Files) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("secret token contains unallowed characters")
        if url and not re.match(r"https?://", url):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = [str(kind) for kind in params["allowed_updates"]]
        self.webhook_url = url or None
        self.webhook_secret = str(secret) if secret else None
        if self.webhook_url and self.auto_push_webhook and (self._pusher is None or self._pusher.done()):
            self._pusher = asyncio.get_running_loop().create_task(self._push_webhook())
        self._wake()
        return True

    def _delete_webhook(self, params: Params, files: Files) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = None
        self.webhook_secret = None
        self._wake()
        return True

    def _get_webhook_info(self, params: Params, files: Files) -> JSON:
        info: JSON = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.allowed_updates:
            info["allowed_updates"] = list(self.allowed_updates)
        failed = [d for d in self.webhook_deliveries if not 200 <= d["status"] < 300]
        if failed:
            info["last_error_date"] = int(failed[-1]["time"])
            info["last_error_message"] = f"Wrong response from the webhook: {failed[-1]['status']}"
        return info

    async def _post_update(
        self, client: httpx.AsyncClient, url: str, secret: str | None, update: JSON
    ) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        try:
            response = await client.post(url, json=update, headers=headers)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        with self._lock:
            self.webhook_deliveries.append(
                {"update_id": update.get("update_id"), "status": status, "time": time.time()}
            )
        return status

    async def _push_webhook(self) -> None:
        """Deliver queued updates to the webhook one by one, as Telegram does; retry failures."""
        async with httpx.AsyncClient(timeout=10) as client:
            while not self._closing:
                event = self._wake_event
                with self._lock:
                    url, secret = self.webhook_url, self.webhook_secret
                    if not url:
                        return
                    self._take_updates(None, 1)
                    update = copy.deepcopy(self._updates[0]) if self._updates else None
                if update is None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(event.wait(), 1.0)
                    continue
                status = await self._post_update(client, url, secret, update)
                if 200 <= status < 300:
                    with self._lock:
                        self._updates = [u for u in self._updates if u["update_id"] != update["update_id"]]
                else:
                    await asyncio.sleep(self.webhook_retry_delay)

    def deliver_webhook(self, update: JSON) -> int:
        """POST ``update`` to the webhook now (with the secret header); returns the HTTP status.

        Blocks the calling thread: from an async test whose loop serves the webhook, rely on the
        automatic push instead (``auto_push_webhook``), or the call would deadlock.
        """
        with self._lock:
            url, secret = self.webhook_url, self.webhook_secret
        if not url:
            raise RuntimeError("no webhook is set")

        async def post() -> int:
            async with httpx.AsyncClient(timeout=10) as client:
                return await self._post_update(client, url, secret, update)

        return self.server.run(post())

    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by an offset (or pushed to the webhook)."""
        with self._lock:
            return copy.deepcopy(self._updates)

    # == commands, chats, files ===============================================================
    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: Params, files: Files) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", str(command.get("command"))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "")) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = copy.deepcopy(commands)
        return True

    def _get_my_commands(self, params: Params, files: Files) -> list[JSON]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: Params, files: Files) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _chat(self, chat_id: int) -> JSON:
        known = self.chats.get(chat_id)
        if known is not None:
            return dict(known)
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _get_chat(self, params: Params, files: Files) -> JSON:
        chat = self._chat(self._target_chat(params))
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    def _register_file(
        self,
        kind: str,
        key: str,
        data: bytes | None,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
        **extra: Any,
    ) -> JSON:
        """Store a downloadable file; ids are derived from the content, so they are stable."""
        prefix = {"photo": "AgAC", "document": "BQAC", "sticker": "CAAC"}.get(kind, "AAAA")
        ext = (sniff_image(data) if data else None) or (
            file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        )
        entry: JSON = {
            "kind": kind,
            "file_id": f"{prefix}{key[:28]}",
            "file_unique_id": f"AQAD{kind[:1]}{key[:12]}",
            "file_path": f"{kind}s/file_{key[:10]}.{ext}",
            "data": data,
            "mime_type": mime_type or mimetypes.guess_type(f"x.{ext}")[0],
            "file_name": file_name,
            **extra,
        }
        if data is not None:
            entry["file_size"] = len(data)
        self.files[entry["file_id"]] = entry
        self._file_paths[entry["file_path"]] = entry
        return entry

    def _register_photo(self, data: bytes | None, url: str | None = None, *, strict: bool = True) -> JSON:
        """Register a photo as Telegram does: a small and a large PhotoSize, both downloadable."""
        if data is None:
            width, height = self.url_photo_size
            variants: list[tuple[str, bytes | None, int, int]] = [
                (_sha(f"thumb:{url}"), None, 90, 90),
                (_sha(f"photo:{url}"), None, width, height),
            ]
        else:
            if strict and not data:
                raise _bad("file must be non-empty")
            size = image_size(data)
            if size is None:
                if strict:
                    raise _bad("IMAGE_PROCESS_FAILED")
                size = (1280, 960)
            if strict and (len(data) > PHOTO_MAX_BYTES or sum(size) > PHOTO_MAX_DIMENSIONS):
                raise _bad("PHOTO_INVALID_DIMENSIONS")
            thumb = thumbnail_jpeg(data) or data
            thumb_size = image_size(thumb) or (90, 90)
            variants = [(_sha(b"thumb" + thumb), thumb, *thumb_size), (_sha(data), data, *size)]
        entries = [
            self._register_file(
                "photo", key, blob, width=w, height=h, mime_type="image/jpeg" if blob is None else None
            )
            for key, blob, w, h in variants
        ]
        sizes = [
            {k: e[k] for k in ("file_id", "file_unique_id", "width", "height", "file_size") if k in e}
            for e in entries
        ]
        for entry in entries:
            entry["sizes"] = sizes
        return entries[-1]

    def _register_document(
        self, data: bytes | None, file_name: str | None, mime_type: str | None, url: str = ""
    ) -> JSON:
        key = _sha(data) if data is not None else _sha(f"document:{url}")
        mime = mime_type if mime_type and mime_type != "application/octet-stream" else None
        mime = (
            mime or (mimetypes.guess_type(file_name)[0] if file_name else None) or "application/octet-stream"
        )
        return self._register_file("document", key, data, mime_type=mime, file_name=file_name)

    @staticmethod
    def _document_api(entry: JSON) -> JSON:
        keys = ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")
        return {k: entry[k] for k in keys if entry.get(k) is not None}

    def _get_file(self, params: Params, files: Files) -> JSON:
        entry = self.files.get(str(params.get("file_id") or ""))
        if entry is None:
            raise _bad("invalid file_id")
        if entry.get("file_size", 0) > GET_FILE_MAX_BYTES:
            raise _bad("file is too big")
        keys = ("file_id", "file_unique_id", "file_size", "file_path")
        return {k: entry[k] for k in keys if k in entry}

    def _input_file(self, ref: FormPart | str | None, kind: str) -> tuple[str | bytes, JSON]:
        """Resolve an upload / URL / file_id into (what the message stores, file entry)."""
        if isinstance(ref, FormPart):
            if kind == "photo":
                return ref.data, self._register_photo(ref.data)
            if not ref.data:
                raise _bad("file must be non-empty")
            return ref.data, self._register_document(ref.data, ref.filename, ref.content_type)
        if not ref:
            raise _bad(f"there is no {kind} in the request")
        if re.match(r"https?://", ref):
            if self._refused_url is not None and self._refused_url in ref:
                raise _bad("failed to get HTTP URL content")
            if kind == "photo":
                return ref, self._register_photo(None, ref)
            name = ref.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "file"
            return ref, self._register_document(None, name, None, url=ref)
        entry = self.files.get(ref)
        if entry is None:
            raise _bad("wrong file identifier/HTTP URL specified")
        if entry["kind"] != kind:
            raise _bad(f"can't use file of type {entry['kind'].title()} as {kind.title()}")
        return ref, entry

    # == sending ==============================================================================
    def _target_chat(self, params: Params) -> int:
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad("chat_id is empty")
        chat_id = _as_int(value)
        if chat_id is None:
            raise _bad("chat not found")
        return chat_id

    def _markup(self, value: Any) -> JSON | None:
        """Validate reply_markup like Telegram; an empty inline keyboard means none."""
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in value:
            return copy.deepcopy(value)
        rows = value["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        for button in (b for row in rows for b in row):
            if not isinstance(button, dict) or not button.get("text"):
                raise _bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if not BUTTON_ACTIONS & button.keys():
                raise _bad("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode())
                if not 1 <= size <= CALLBACK_DATA_LIMIT:
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(https?|tg)://", str(button["url"])):
                raise _bad("BUTTON_URL_INVALID")
        if not any(rows):
            return None
        return copy.deepcopy(value)

    def _reply_target(self, params: Params, chat_id: int) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, allow = _as_int(reply.get("message_id")), reply.get("allow_sending_without_reply")
        else:
            message_id = _as_int(params.get("reply_to_message_id"))
            allow = params.get("allow_sending_without_reply")
        if message_id is None:
            return None
        if (chat_id, message_id) not in self.messages:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return message_id

    def _draft(self, params: Params, text_key: str, entities_key: str) -> FakeMessage:
        """An unsaved bot message with the common send parameters applied."""
        chat_id = self._target_chat(params)
        message = FakeMessage(
            chat_id=chat_id, message_id=0, from_bot=True, chat=self._chat(chat_id), sender=dict(BOT_USER)
        )
        message.parse_mode = params.get("parse_mode") or None
        message.reply_markup = self._markup(params.get("reply_markup"))
        message.reply_to_message_id = self._reply_target(params, chat_id)
        value = params.get(text_key)
        setattr(message, text_key, None if value is None else str(value))
        message.entities = params.get(entities_key)
        return message

    @staticmethod
    def _check_content(message: FakeMessage) -> None:
        """Parse mode, emptiness and length rules, measured on the visible text."""
        try:
            body, _ = message.rendered()
        except ValueError as exc:
            raise _bad(f"can't parse entities: {exc}") from None
        if message.has_media:
            if body and utf16_len(body) > CAPTION_LIMIT:
                raise _bad("message caption is too long")
        elif not body or not body.strip():
            raise _bad("message text is empty")
        elif utf16_len(body) > TEXT_LIMIT:
            raise _bad("message is too long")

    def _next_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_ids.get(chat_id, 1)
        self._next_message_ids[chat_id] = message_id + 1
        return message_id

    def _store(self, message: FakeMessage, method: str) -> JSON:
        self._check_content(message)
        message.message_id = self._next_message_id(message.chat_id)
        self.messages[(message.chat_id, message.message_id)] = message
        message.snapshot(method)
        return self._api_message(message)

    def _api_message(self, message: FakeMessage) -> JSON:
        reply = None
        if message.reply_to_message_id is not None:
            key = (message.chat_id, message.reply_to_message_id)
            target = self.messages.get(key) or self.deleted_messages.get(key)
            reply = target.to_api() if target is not None else None
        return message.to_api(reply)

    def _send_message(self, params: Params, files: Files) -> JSON:
        return self._store(self._draft(params, "text", "entities"), "sendMessage")

    def _send_photo(self, params: Params, files: Files) -> JSON:
        message = self._draft(params, "caption", "caption_entities")
        source, entry = self._input_file(files.get("photo") or params.get("photo"), "photo")
        message.photo, message.photo_sizes = source, entry["sizes"]
        return self._store(message, "sendPhoto")

    def _send_document(self, params: Params, files: Files) -> JSON:
        message = self._draft(params, "caption", "caption_entities")
        source, entry = self._input_file(files.get("document") or params.get("document"), "document")
        message.document, message.document_info = source, self._document_api(entry)
        return self._store(message, "sendDocument")

    def _send_chat_action(self, params: Params, files: Files) -> bool:
        self._target_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    # == editing ==============================================================================
    def _editable(self, params: Params) -> FakeMessage:
        if params.get("inline_message_id"):
            raise _bad("message to edit not found")
        chat_id = self._target_chat(params)
        message_id = _as_int(params.get("message_id"))
        if message_id is None:
            raise _bad("message identifier is not specified")
        message = self.messages.get((chat_id, message_id))
        if message is None:
            raise _bad("message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        return message

    def _apply_edit(
        self, message: FakeMessage, method: str, *, uploaded: bool = False, **changes: Any
    ) -> JSON:
        """Validate on a copy, refuse no-op edits, then mutate in place (tests may hold the object)."""
        draft = copy.copy(message)
        for name, value in changes.items():
            setattr(draft, name, value)
        self._check_content(draft)
        if not uploaded and draft.state() == message.state():
            raise tg_error(400, NOT_MODIFIED)
        for name, value in changes.items():
            setattr(message, name, value)
        message.edit_date = int(time.time())
        message.snapshot(method)
        return self._api_message(message)

    def _edit_message_text(self, params: Params, files: Files) -> JSON:
        message = self._editable(params)
        if message.has_media:
            raise _bad("there is no text in the message to edit")
        text = params.get("text")
        return self._apply_edit(
            message,
            "editMessageText",
            text=None if text is None else str(text),
            parse_mode=params.get("parse_mode") or None,
            entities=params.get("entities"),
            reply_markup=self._markup(params.get("reply_markup")),
        )

    def _edit_message_caption(self, params: Params, files: Files) -> JSON:
        message = self._editable(params)
        if not message.has_media:
            raise _bad("there is no caption in the message to edit")
        caption = params.get("caption")
        return self._apply_edit(
            message,
            "editMessageCaption",
            caption=None if caption is None else str(caption),
            parse_mode=params.get("parse_mode") or None,
            entities=params.get("caption_entities"),
            reply_markup=self._markup(params.get("reply_markup")),
        )

    def _edit_message_media(self, params: Params, files: Files) -> JSON:
        message = self._editable(params)
        media = params.get("media")
        if not isinstance(media, dict):
            raise _bad("can't parse InputMedia JSON object")
        ref: FormPart | str | None = media.get("media")
        if isinstance(ref, str) and ref.startswith("attach://"):
            ref = files.get(ref.removeprefix("attach://"))
            if ref is None:
                raise _bad("can't find attached file")
        kind = media.get("type")
        changes: dict[str, Any] = {
            "photo": None,
            "photo_sizes": None,
            "document": None,
            "document_info": None,
        }
        if kind == "photo":
            source, entry = self._input_file(ref, "photo")
            changes.update(photo=source, photo_sizes=entry["sizes"])
        elif kind == "document":
            source, entry = self._input_file(ref, "document")
            changes.update(document=source, document_info=self._document_api(entry))
        else:
            raise _bad(f"unsupported media type {kind!r} (the fake handles photo and document)")
        caption = media.get("caption")
        return self._apply_edit(
            message,
            "editMessageMedia",
            uploaded=isinstance(ref, FormPart),
            text=None,
            caption=None if caption is None else str(caption),
            parse_mode=media.get("parse_mode") or None,
            entities=media.get("caption_entities"),
            reply_markup=self._markup(params.get("reply_markup")),
            **changes,
        )

    def _edit_message_reply_markup(self, params: Params, files: Files) -> JSON:
        message = self._editable(params)
        markup = self._markup(params.get("reply_markup"))
        return self._apply_edit(message, "editMessageReplyMarkup", reply_markup=markup)

    def _delete_message(self, params: Params, files: Files) -> bool:
        key = (self._target_chat(params), _as_int(params.get("message_id")) or 0)
        message = self.messages.pop(key, None)
        if message is None:
            raise _bad("message to delete not found")
        self.deleted_messages[key] = message
        return True

    def _answer_callback_query(self, params: Params, files: Files) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        self.answers[query_id] = dict(params)
        return True

    # == users (test-thread helpers) ==========================================================
    @staticmethod
    def user(id: int, first_name: str, username: str | None = None, language_code: str | None = None) -> JSON:
        """A ``User`` dict for a human (``language_code``: their Telegram app's language, e.g. zh-hans)."""
        data: JSON = {"id": id, "is_bot": False, "first_name": first_name}
        if username:
            data["username"] = username
        if language_code:
            data["language_code"] = language_code
        return data

    @staticmethod
    def private(user: JSON) -> JSON:
        """The private ``Chat`` with ``user``."""
        chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if user.get("username"):
            chat["username"] = user["username"]
        return chat

    @staticmethod
    def group(id: int = -100123, title: str = "Test group") -> JSON:
        """A group ``Chat`` (a supergroup when the id starts with -100, like Telegram's)."""
        return {"id": id, "type": "supergroup" if str(id).startswith("-100") else "group", "title": title}

    def user_message(
        self,
        chat: JSON,
        user: JSON,
        text: str | None = None,
        *,
        caption: str | None = None,
        photo: bytes | None = None,
        document: tuple[bytes, str, str] | None = None,
        sticker: bool = False,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> int:
        """Queue a Message update from ``user`` in ``chat``; returns its message_id."""
        if text is not None and (photo is not None or document is not None or sticker):
            raise ValueError("a message has either text or media (use caption= with media)")
        if text is None and photo is None and document is None and not sticker:
            raise ValueError("nothing to send: give text, photo, document or sticker")
        with self._lock:
            chat_id = int(chat["id"])
            self.chats[chat_id] = dict(chat)
            message = FakeMessage(
                chat_id=chat_id,
                message_id=self._next_message_id(chat_id),
                from_bot=False,
                chat=dict(chat),
                sender=dict(user),
            )
            if photo is not None:
                message.photo = photo
                message.photo_sizes = self._register_photo(photo, strict=False)["sizes"]
            elif document is not None:
                data, file_name, mime_type = document
                message.document = data
                message.document_info = self._document_api(
                    self._register_document(data, file_name, mime_type)
                )
            elif sticker:
                entry = self._register_file("sticker", _sha(f"sticker:{chat_id}"), None)
                message.extra["sticker"] = {
                    "file_id": entry["file_id"],
                    "file_unique_id": entry["file_unique_id"],
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "🙂",
                }
            if message.has_media:
                message.caption = caption if not sticker else None
                message.entities = _command_entities(message.caption)
            else:
                message.text = text
                message.entities = _command_entities(text)
            if reply_to is not None:
                if (chat_id, reply_to) not in self.messages:
                    raise KeyError(f"reply_to: no message {reply_to} in chat {chat_id}")
                message.reply_to_message_id = reply_to
            if media_group_id is not None:
                message.extra["media_group_id"] = media_group_id
            self.messages[(chat_id, message.message_id)] = message
            message.snapshot("user_message")
            self._queue_update("message", self._api_message(message))
        self._call_soon(self._wake)
        return message.message_id

    def press(
        self, chat: JSON, user: JSON, message_id: int, callback_data: str, *, strict: bool = True
    ) -> str:
        """Queue a callback_query for a button of a stored message; returns the query id.

        ``strict`` (default) refuses data that no button of the message carries, which catches
        test mistakes; pass ``strict=False`` to simulate a stale button.
        """
        with self._lock:
            chat_id = int(chat["id"])
            message = self.messages.get((chat_id, message_id))
            if message is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            offered = [b.get("callback_data") for row in message.buttons() for b in row]
            if strict and callback_data not in offered:
                raise ValueError(f"message {message_id} has no button {callback_data!r}; it has {offered}")
            self._callback_seq += 1
            query_id = f"{4_200_000_000 + self._callback_seq}"
            self._open_callbacks.add(query_id)
            query = {
                "id": query_id,
                "from": dict(user),
                "chat_instance": f"ci{chat_id}",
                "data": callback_data,
                "message": self._api_message(message),
            }
            self._queue_update("callback_query", query)
        self._call_soon(self._wake)
        return query_id

    # == inspection ===========================================================================
    def bot_messages(self, chat_id: int) -> list[FakeMessage]:
        """The bot's live (not deleted) messages in ``chat_id``, oldest first."""
        with self._lock:
            found = [m for (c, _), m in self.messages.items() if c == chat_id and m.from_bot]
        return sorted(found, key=lambda m: m.message_id)

    def buttons(self, chat_id: int, message_id: int) -> list[list[JSON]]:
        """Inline keyboard rows of a message ([] if it has none or does not exist)."""
        with self._lock:
            message = self.messages.get((chat_id, message_id))
            return message.buttons() if message is not None else []

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        """Recorded calls of ``method`` (any spelling), optionally only for ``chat_id``."""
        method = canonical_method(method)
        with self._lock:
            return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    # == fault injection ======================================================================
    def flood(self, chat_id: int, retry_after: int, times: int = 1) -> None:
        """The next ``times`` send/edit calls for the chat get 429 and start a ban."""
        with self._lock:
            self._floods.setdefault(chat_id, []).extend([retry_after] * times)

    def flood_every(self, n: int | None, retry_after: int = 1) -> None:
        """Every ``n``-th send/edit call per chat gets 429 and starts a ban (None/0 disables)."""
        with self._lock:
            self._flood_every = (n, retry_after) if n else None
            self._send_counts.clear()

    def refuse_urls(self, substring: str | None) -> None:
        """Media given as a URL containing ``substring`` fail like an unreachable URL (None: off)."""
        with self._lock:
            self._refused_url = substring

    def fail_next(
        self, method: str, status: int, description: str, times: int = 1, *, retry_after: int | None = None
    ) -> None:
        """The next ``times`` calls of ``method`` answer ``status`` with ``description``."""
        with self._lock:
            queue = self._failures.setdefault(canonical_method(method), [])
            queue.extend([(status, description, retry_after)] * times)

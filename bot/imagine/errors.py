"""Errors of the Imagine boundary. Every foreign exception is translated in `client._translated`,
nowhere else; upstream's error codes are classified here, once (`api_error`, `TaskFailed.classified`).

ImagineError                    anything that stopped a call; carries `task_id` and `trace_id` when known
├── ConnectionLost              connect/read failure, no HTTP answer (the request may have arrived)
│   ├── NotSent                 the connection never opened: the request surely did not arrive
│   └── StreamBroken            an accepted answer ended, stalled or broke before its final line
├── Malformed                   an answer (before any task was accepted) that could not be decoded
├── TaskFailed                  the task ran and failed (`success: false` line, answer or callback)
└── ImagineAPIError             an HTTP error answer: status, code, message
    ├── InvalidRequest          400: the user's prompt or parameters (message shown to the user)
    ├── Misconfigured           401, token_mismatched, api_not_implemented: the operator's to fix
    ├── QuotaExhausted          403 used_up / disabled
    ├── Moderated               403 forbidden: prompt rejected by moderation
    ├── RateLimited             429: retry later (carries `retry_after` when known)
    ├── GenerationTimeout       504 / timeout: generation took too long
    └── Unavailable             5xx and anything unexpected: temporary
"""

from __future__ import annotations


class ImagineError(Exception):
    """Base of every error raised by the Imagine client."""

    def __init__(self, message: str, *, task_id: str | None = None, trace_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.task_id = task_id
        self.trace_id = trace_id  # what AceData's support asks for: logged with every error


class ConnectionLost(ImagineError):
    """No usable HTTP answer (connection refused, reset, read timeout)."""


class NotSent(ConnectionLost):
    """Connecting failed (refused, DNS, connect timeout): nothing reached upstream, so sending the
    same request again cannot start (and charge) a second task."""


class StreamBroken(ConnectionLost):
    """The progress stream stopped before the final line; the task may still finish upstream."""


class Malformed(ImagineError):
    """A 200 answer that could not be decoded (not JSON, not the documented shape), where no task
    was accepted yet; once one was, a broken answer is `StreamBroken` (never sent again)."""


class TaskFailed(ImagineError):
    """The task itself failed; `code` is upstream's (e.g. `bad_request`, `forbidden`, `timeout`)."""

    def __init__(
        self, code: str, message: str, *, task_id: str | None = None, trace_id: str | None = None
    ) -> None:
        super().__init__(message, task_id=task_id, trace_id=trace_id)
        self.code = code

    @property
    def busy(self) -> bool:
        """Refused for the account's concurrency: worth submitting again later, like a 429."""
        return _BY_CODE.get(self.code) is RateLimited

    def classified(self) -> ImagineAPIError | None:
        """The error its code stands for, as if an HTTP answer had said it; None for codes we do
        not know."""
        cls = _BY_CODE.get(self.code)
        if cls is None:
            return None
        return cls(200, self.code, self.message, task_id=self.task_id, trace_id=self.trace_id)


class ImagineAPIError(ImagineError):
    """An HTTP error answer from the API."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        task_id: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message, task_id=task_id, trace_id=trace_id)
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class InvalidRequest(ImagineAPIError):
    pass


class Misconfigured(ImagineAPIError):
    pass


class QuotaExhausted(ImagineAPIError):
    pass


class Moderated(ImagineAPIError):
    pass


class RateLimited(ImagineAPIError):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
        task_id: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(status, code, message, task_id=task_id, trace_id=trace_id)
        self.retry_after = retry_after


class GenerationTimeout(ImagineAPIError):
    pass


class Unavailable(ImagineAPIError):
    pass


_BY_CODE: dict[str, type[ImagineAPIError]] = {
    "bad_request": InvalidRequest,
    "invalid_token": Misconfigured,
    "token_expired": Misconfigured,
    "no_token": Misconfigured,
    "no_api": Misconfigured,
    "token_mismatched": Misconfigured,
    "api_not_implemented": Misconfigured,
    "used_up": QuotaExhausted,
    "disabled": QuotaExhausted,
    "forbidden": Moderated,
    "too_many_requests": RateLimited,
    "rate_limited": RateLimited,
    "timeout": GenerationTimeout,
    "api_error": Unavailable,
}

_BY_STATUS: dict[int, type[ImagineAPIError]] = {
    400: InvalidRequest,
    401: Misconfigured,
    403: Moderated,
    404: Misconfigured,
    422: InvalidRequest,
    429: RateLimited,
    504: GenerationTimeout,
}


def api_error(
    status: int,
    code: str | None,
    message: str | None,
    *,
    retry_after: float | None = None,
    trace_id: str | None = None,
) -> ImagineAPIError:
    """Pick the error class for an HTTP error answer: upstream's code first, then the status."""
    code = code or "unknown"
    cls = _BY_CODE.get(code) or _BY_STATUS.get(status, Unavailable)
    text = message or f"HTTP {status}"
    if cls is RateLimited:
        return RateLimited(status, code, text, retry_after=retry_after, trace_id=trace_id)
    return cls(status, code, text, trace_id=trace_id)

import inspect

import pytest

import bot.imagine.errors as errors
from bot.imagine.errors import api_error
from bot.jobs.failures import MISCONFIGURED, explain, for_code


def _instances() -> list[errors.ImagineError]:
    made: list[errors.ImagineError] = []
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if not issubclass(cls, errors.ImagineError):
            continue
        if issubclass(cls, errors.ImagineAPIError):
            made.append(cls(400, "some_code", "some message"))
        elif cls is errors.TaskFailed:
            made.append(cls("some_code", "some message"))
        else:
            made.append(cls("some message"))
    return made


@pytest.mark.parametrize("error", _instances(), ids=lambda e: type(e).__name__)
def test_every_error_has_a_message(error: errors.ImagineError) -> None:
    failure = explain(error)
    assert failure.text and "Traceback" not in failure.text


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "bad_request", errors.InvalidRequest),
        (401, "invalid_token", errors.Misconfigured),
        (401, None, errors.Misconfigured),
        (403, "used_up", errors.QuotaExhausted),
        (403, "disabled", errors.QuotaExhausted),
        (403, "forbidden", errors.Moderated),
        (404, "no_api", errors.Misconfigured),
        (400, "token_mismatched", errors.Misconfigured),
        (400, "api_not_implemented", errors.Misconfigured),
        (400, "unknown_new_code", errors.InvalidRequest),
        (429, "too_many_requests", errors.RateLimited),
        (429, None, errors.RateLimited),
        (500, "api_error", errors.Unavailable),
        (502, None, errors.Unavailable),
        (504, "timeout", errors.GenerationTimeout),
    ],
)
def test_api_error_classes(status: int, code: str | None, cls: type) -> None:
    assert type(api_error(status, code, "m")) is cls


def test_user_facing_texts() -> None:
    unknown = explain(api_error(400, "bad_request", "Unrecognized argument(s): `--x`, `y`")).text
    assert "--x, y" in unknown and "Unrecognized" not in unknown, "the names, in our words"
    assert "internal detail" not in explain(api_error(400, "bad_request", "internal detail")).text
    assert explain(api_error(401, "invalid_token", "bad token")).text == MISCONFIGURED.text('en')
    assert explain(api_error(401, "invalid_token", "bad token")).operator
    assert "moderation" in explain(api_error(403, "forbidden", "nsfw")).text
    assert "credit" in explain(api_error(403, "used_up", "")).text
    assert "too long" in explain(api_error(504, "timeout", "")).text
    assert "reach" in explain(errors.ConnectionLost("reset")).text
    assert "boom" not in for_code("weird_code", "boom").text, "upstream's words stay in the log"
    assert for_code("weird_code", "boom").retryable
    for code in ("token_mismatched", "api_not_implemented"):
        failure = explain(api_error(400, code, "secret configuration text"))
        assert failure.text == MISCONFIGURED.text('en') and "not available" in failure.text and failure.operator
        assert "ACEDATA_API" in failure.hint
    assert "configuration text" not in explain(api_error(400, "odd_code", "configuration text")).text
    assert "moderation" in explain(errors.TaskFailed("forbidden", "x")).text


def test_an_image_upstream_could_not_fetch_is_named_only_when_typed() -> None:
    typed = "https://x.test/fox.png"
    failure = explain(api_error(400, "bad_request", f"Failed to download image {typed}"), (typed,))
    assert failure.text == f"Midjourney could not fetch the image link {typed}. Please use a direct link to a " \
        "public JPG, PNG or WebP file."
    hosted = explain(api_error(400, "bad_request", "Failed to download image https://bot.test/media/abc.jpg"), (typed,))
    assert hosted.text == "Midjourney could not fetch your picture. Please send it again." and hosted.retryable
    assert "abc" not in hosted.text, "a link the bot made is not read out"
    assert "could not fetch" in for_code("bad_request", f"cannot fetch image: {typed}.", (typed,)).text
    assert "--parameters" in explain(api_error(400, "bad_request", "something else")).text


def test_a_failed_task_reads_like_the_http_error_its_code_stands_for() -> None:
    """One table of upstream's codes (bot.imagine.errors): a task that failed with a code and an
    HTTP answer with that code tell the person the same thing."""
    for code in ("forbidden", "used_up", "disabled", "invalid_token", "token_mismatched", "timeout",
                 "too_many_requests", "bad_request"):  # fmt: skip
        assert explain(errors.TaskFailed(code, "words")).msg == explain(api_error(400, code, "words")).msg, code
    assert errors.TaskFailed("too_many_requests", "x").busy and not errors.TaskFailed("forbidden", "x").busy
    assert explain(errors.TaskFailed("no_such_code", "x")).reason == "upstream"
    assert explain(errors.Malformed("not json")).text == "Midjourney's answer could not be read. Please try again."

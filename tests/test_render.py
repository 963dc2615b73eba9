from collections.abc import Iterable

from bot.core.domain import Button, Image, Job, JobState, JobView, Requester
from bot.render.job import action_label, headline, keyboard, message_for
from bot.render.spec import CAPTION_LIMIT, KeyButton

GRID = (
    "upscale1",
    "upscale2",
    "upscale3",
    "upscale4",
    "reroll",
    "variation1",
    "variation2",
    "variation3",
    "variation4",
)
SINGLE = (
    "upscale_2x", "upscale_4x", "variation_subtle", "variation_strong", "zoom_out_2x", "zoom_out_1_5x",
    "pan_left", "pan_right", "pan_up", "pan_down",
)  # fmt: skip


def labels(rows: Iterable[Iterable[KeyButton]]) -> list[list[str]]:
    return [[b.label for b in row] for row in rows]


def _job(**changes: object) -> Job:
    base = Job(id=1, chat_id=-5, chat_type="group", requester=Requester(7, "Ann", "ann"), prompt="a fox",
               upstream_prompt="a fox")  # fmt: skip
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def _image(actions: tuple[str, ...], *, grid: bool, raw: str | None = "https://cdn.test/raw.png") -> Image:
    return Image("img", "task", "https://cdn.test/img.png", raw_image_url=raw, actions=actions, is_grid=grid)


def _buttons(actions: tuple[str, ...], pressed: str | None = None) -> tuple[Button, ...]:
    return tuple(Button(f"key{i:04d}", "img", a, -5, 10, pressed=a == pressed) for i, a in enumerate(actions))


def test_grid_keyboard_rows() -> None:
    rows = keyboard(_image(GRID, grid=True), _buttons(GRID))
    assert labels(rows) == [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"], ["🔗 Full size"]]
    assert rows[0][1].callback_data == "b:key0001"
    assert rows[2][0].url == "https://cdn.test/raw.png"


def test_single_keyboard_rows_and_pressed_mark() -> None:
    rows = keyboard(_image(SINGLE, grid=False, raw=None), _buttons(SINGLE, pressed="pan_left"))
    assert labels(rows) == [
        ["Upscale 2x", "Upscale 4x"],
        ["Vary (Subtle)", "Vary (Strong)"],
        ["Zoom Out 2x", "Zoom Out 1.5x"],
        ["✅ ⬅️", "➡️", "⬆️", "⬇️"],
    ]


def test_unknown_actions_are_never_dropped() -> None:
    actions = ("upscale_subtle", "upscale_creative", "custom_thing_2x", "zoom_out_1_25x")
    rows = labels(keyboard(_image(actions, grid=False, raw=None), _buttons(actions)))
    assert rows == [["Upscale (Subtle)", "Upscale (Creative)"], ["Custom Thing 2x", "Zoom Out 1.25x"]]


def test_action_label_fallback() -> None:
    assert action_label("super_resolve") == "Super Resolve"
    assert action_label("variation2") == "V2"


def test_headline_escapes_and_mentions() -> None:
    job = _job(prompt="<b>fox</b> & co", requester=Requester(7, "<Ann>", None))
    text = headline(job, "Waiting to start")
    assert (
        text
        == '<b>&lt;b&gt;fox&lt;/b&gt; &amp; co</b> – <a href="tg://user?id=7">&lt;Ann&gt;</a> (Waiting to start)'
    )


def test_caption_fits_telegram_limit() -> None:
    job = _job(prompt="&" * 3000, state=JobState.DONE)
    spec = message_for(JobView(job, _image(GRID, grid=True), _buttons(GRID)))
    assert len(spec.body) <= CAPTION_LIMIT
    assert spec.body.endswith("– @ann (fast)"), "the speed stays on the final caption"


def test_progress_states() -> None:
    waiting = message_for(JobView(_job()))
    assert waiting.body.endswith("– @ann (Waiting to start)")
    assert labels(waiting.keyboard) == [["✖ Cancel"]] and waiting.keyboard[0][0].callback_data == "c:1"
    assert "(#3 in line)" in message_for(JobView(_job(), position=3)).body
    running = message_for(JobView(_job(state=JobState.RUNNING, progress=42, mode="relax")))
    assert running.body == "<b>a fox</b> – @ann (42%) (relaxed)" and running.photo is None
    assert running.keyboard == (), "a submitted job can no longer be cancelled"
    sent = message_for(JobView(_job(state=JobState.SUBMITTING)))
    assert sent.body.endswith("(In Midjourney's queue) (fast)")
    preview = message_for(
        JobView(_job(state=JobState.RUNNING, progress=60, preview_url="https://p.test/1.webp"))
    )
    assert preview.photo == "https://p.test/1.webp" and not preview.final


def test_action_jobs_say_what_they_do() -> None:
    def done(action: str, lang: str = "en") -> str:
        job = _job(action=action, state=JobState.DONE, requester=Requester(7, "Ann", "ann", lang))
        return message_for(JobView(job, _image(GRID, grid=False), ())).body

    assert done("upscale2") == "<b>a fox</b> – Image #2 @ann (fast)"
    assert done("variation_strong") == "<b>a fox</b> – Variations (Strong) by @ann (fast)"
    assert done("variation3") == "<b>a fox</b> – Variations by @ann (fast)"
    assert done("pan_left") == "<b>a fox</b> – Pan Left by @ann (fast)"
    assert done("reroll") == "<b>a fox</b> – @ann (fast)"
    assert done("some_new_thing") == "<b>a fox</b> – Some New Thing by @ann (fast)"
    assert done("variation_strong", "zh") == "<b>a fox</b> – @ann 的变化（强）（快速）"
    assert done("upscale2", "zh") == "<b>a fox</b> – @ann 的第 2 张（快速）"


def test_chinese_messages_and_buttons() -> None:
    zh = Requester(7, "安", "ann", "zh")
    waiting = message_for(JobView(_job(requester=zh), position=2))
    assert waiting.body.endswith("（排队第 2 位）") and labels(waiting.keyboard) == [["✖ 取消"]]
    rows = keyboard(_image(SINGLE, grid=False), _buttons(SINGLE), "zh")
    assert labels(rows)[0] == ["放大 2x", "放大 4x"] and labels(rows)[-1] == ["🔗 原图"]
    failed = message_for(JobView(_job(requester=zh, state=JobState.FAILED, error="出错")))
    assert "（失败）" in failed.body and "❌ 出错" in failed.body


def test_final_and_failed_messages() -> None:
    done = message_for(JobView(_job(state=JobState.DONE), _image(GRID, grid=True), _buttons(GRID)))
    assert done.final and done.photo == "https://cdn.test/img.png" and done.body == "<b>a fox</b> – @ann (fast)"
    failed = message_for(JobView(_job(state=JobState.FAILED, error="bad <param>")))
    assert failed.final and failed.photo is None and "❌ bad &lt;param&gt;" in failed.body
    cancelled = message_for(JobView(_job(state=JobState.CANCELLED)))
    assert cancelled.final and cancelled.body == "<b>a fox</b> – @ann (Cancelled)" and cancelled.keyboard == ()

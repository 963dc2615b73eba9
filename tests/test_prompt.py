import pytest

from bot.core.prompt import PromptError, parse_prompt


def test_plain_prompt_keeps_parameters() -> None:
    prompt = parse_prompt("a red fox in snow --ar 3:2 --chaos 10")
    assert prompt.full == "a red fox in snow --ar 3:2 --chaos 10"
    assert prompt.params == {"ar": "3:2", "chaos": "10"}
    assert prompt.mode is None


def test_phone_dashes_become_double_hyphens() -> None:
    assert parse_prompt("a fox —ar 16:9 –v 6").full == "a fox --ar 16:9 --v 6"


def test_speed_flag_becomes_mode() -> None:
    prompt = parse_prompt("a fox --relax --ar 1:1")
    assert prompt.mode == "relax"
    assert prompt.full == "a fox --ar 1:1"


def test_leading_urls_are_image_prompts() -> None:
    prompt = parse_prompt("https://x.test/a.png http://x.test/b.jpg a cat --iw 1.5")
    assert prompt.image_urls == ("https://x.test/a.png", "http://x.test/b.jpg")
    assert prompt.text == "a cat --iw 1.5"
    assert prompt.full == "https://x.test/a.png http://x.test/b.jpg a cat --iw 1.5"


def test_unknown_parameters_pass_through() -> None:
    assert parse_prompt("a fox --brandnew 7").params == {"brandnew": "7"}


def test_whitespace_is_normalised() -> None:
    assert parse_prompt("  a   fox\n in snow ").full == "a fox in snow"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("--ar 3:2", "Describe the picture"),
        ("fox --ar 3-2", "--ar needs a ratio"),
        ("fox --ar 0:2", "--ar needs a ratio"),
        ("fox --chaos 101", "--chaos must be from 0 to 100"),
        ("fox --stylize lots", "--stylize needs a whole number"),
        ("fox --iw 4", "--iw must be from 0 to 3"),
        ("fox --q 3", "--q must be one of"),
        ("fox --fast --turbo", "Choose one of"),
        ("fox --no", "--no needs a value"),
        ("https://a.test/1.png " * 6 + "fox", "At most 5 images"),
        ("x" * 4001, "too long"),
    ],
)
def test_obvious_mistakes_are_explained(text: str, fragment: str) -> None:
    with pytest.raises(PromptError, match=fragment.replace("(", r"\(")):
        parse_prompt(text)


def test_parameters_typed_on_chinese_keyboards() -> None:
    from bot.core.prompt import needs_translation

    assert parse_prompt("一只狐狸 ——ar 3：2").full == "一只狐狸 --ar 3:2"
    assert parse_prompt("一只狐狸 －－ar １６：９ －－v 7").params == {"ar": "16:9", "v": "7"}
    assert parse_prompt("狐狸：雪地 --ar 3:2").text.startswith("狐狸：雪地"), "the words keep their punctuation"
    assert needs_translation("https://x.test/猫.png 一只狐狸 --ar 3:2")
    assert not needs_translation("https://x.test/猫.png a fox --ar 3:2")


def test_one_picture_without_words_and_ranges_in_whole_numbers() -> None:
    with pytest.raises(PromptError) as lone:
        parse_prompt("https://x.test/fox.png")
    assert lone.value.msg.key == "prompt.image_needs_text"
    with pytest.raises(PromptError) as attached:
        parse_prompt("", pictures=1)
    assert attached.value.msg.key == "prompt.image_needs_text"
    with pytest.raises(PromptError) as params_only:
        parse_prompt("--ar 3:2")
    assert params_only.value.msg.key == "prompt.describe_first"
    assert parse_prompt("https://x.test/a.png https://x.test/b.png").image_urls, "two pictures need no words"
    with pytest.raises(PromptError) as seed:
        parse_prompt("a fox --seed abc")
    assert "from 0 to 4294967295" in str(seed.value)
    with pytest.raises(PromptError) as iw:
        parse_prompt("a fox --iw 7")
    assert "from 0 to 3, not 7" in str(iw.value)

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.__main__ import main
from bot.config import Settings
from tests.harness import COVERAGE_ENV, bot_pythonpath


def _run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """This checkout's bot (not a pip-installed copy), with nothing but `env` configured."""
    env = {**env, "PYTHONPATH": bot_pythonpath(), **COVERAGE_ENV}
    return subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=cwd, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "configuration error: TELEGRAM_BOT_TOKEN is required but not set"),
        ({"TELEGRAM_BOT_TOKEN": "t"}, "configuration error: ACEDATA_API_TOKEN is required but not set"),
        ({"TELEGRAM_BOT_TOKEN": "t", "ACEDATA_API_TOKEN": "a", "ACEDATA_MAX_CONCURRENCY": "lots"},
         "configuration error: ACEDATA_MAX_CONCURRENCY: Input should be a valid integer"),
        ({"TELEGRAM_BOT_TOKEN": "t", "ACEDATA_API_TOKEN": "a", "TELEGRAM_API_URL": "ftp://x"},
         "configuration error: TELEGRAM_API_URL: Value error, must start with http:// or https://"),
        ({"TELEGRAM_BOT_TOKEN": "t", "ACEDATA_API_TOKEN": "a", "ACEDATA_CALLBACK": "true"},
         "configuration error: ACEDATA_CALLBACK=true needs PUBLIC_URL"),
        ({"TELEGRAM_BOT_TOKEN": "t", "ACEDATA_API_TOKEN": "a", "DATABASE_URL": "mysql://db/bot"},
         "configuration error: DATABASE_URL: Value error, must start with postgresql://"),
        ({"TELEGRAM_BOT_TOKEN": "t", "ACEDATA_API_TOKEN": "a", "DATABASE_URL": "postgres://u:p@db/bot",
          "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/hook"},
         "configuration error: TELEGRAM_WEBHOOK_SECRET must be set when DATABASE_URL and TELEGRAM_WEBHOOK_URL are"),
    ],
)  # fmt: skip
def test_bad_settings_exit_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str],
    message: str,
) -> None:
    """`main()` in this process (the autouse fixture has cleared the bot's variables)."""
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main() == 2
    stderr = capsys.readouterr().err
    assert stderr.strip().startswith(message), stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


def test_every_setting_is_in_the_example_env() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"{name.upper()}=" not in example]
    assert missing == []


def test_the_process_exits_with_that_status(tmp_path: Path) -> None:
    """Once as a real process: `python -m bot` turns `main()`'s answer into its exit status."""
    result = _run_bot({"PATH": os.environ["PATH"]}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: TELEGRAM_BOT_TOKEN is required but not set"


def test_dotenv_is_read_and_secrets_stay_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=123:abc\nACEDATA_API_TOKEN=ace\nLOG_LEVEL=debug\n")
    settings = Settings()
    assert isinstance(settings.telegram_bot_token, SecretStr)
    assert "123:abc" not in repr(settings) and "123:abc" not in str(settings.model_dump())
    assert settings.log_level == "DEBUG"
    assert settings.platform_token.get_secret_value() == "ace"
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.acedata_max_concurrency == 5

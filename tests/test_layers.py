"""The layout's rules, checked on the source: only `bot/telegram/` imports `telegram`, no module is
over 350 lines, only the composition root sits at the top of `bot/`, and imports point one way
(docs/ARCHITECTURE.md, "Layers")."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
# Lower layers first; a module may import its own layer and the ones below it, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.i18n", "bot.runtime", "bot.config"),
    ("bot.core",),
    ("bot.imagine", "bot.store", "bot.render"),
    ("bot.media",),
    ("bot.jobs",),
    ("bot.features",),
    ("bot.web",),
    ("bot.services",),  # the composition root: builds everything above from Settings
    ("bot.telegram", "bot.__main__"),
)


def _module(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _rank(module: str) -> int:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _sources() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_imports_point_one_way() -> None:
    upward = []
    for path in _sources():
        here = _module(path)
        for imported in _imports(path):
            if imported.startswith("bot.") and _rank(imported) > _rank(here):
                upward.append(f"{here} imports {imported}")
    assert upward == []


def test_only_the_telegram_package_imports_telegram() -> None:
    outside = [
        _module(p) for p in _sources()
        if not _module(p).startswith("bot.telegram")
        and any(name == "telegram" or name.startswith("telegram.") for name in _imports(p))
    ]  # fmt: skip
    assert outside == []


def test_small_modules_and_only_the_composition_root_at_the_top() -> None:
    assert [p.name for p in _sources() if len(p.read_text(encoding="utf-8").splitlines()) > 350] == []
    assert sorted(p.name for p in BOT.glob("*.py")) == ["__init__.py", "__main__.py", "config.py", "services.py"]

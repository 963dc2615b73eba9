"""Persistence: `Store` over SQLite, its schema migrations, and short random button keys."""

from bot.store.replicas import LeaseLost
from bot.store.rows import new_key
from bot.store.schema import MIGRATIONS
from bot.store.store import Store

__all__ = ["MIGRATIONS", "LeaseLost", "Store", "new_key"]

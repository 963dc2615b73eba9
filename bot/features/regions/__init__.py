"""Vary (Region): the picker service (`service`), the pickers' rules and locks (`pickers`), the
pictures they draw over (`pictures`), and the mask and overlay drawing (`mask`)."""

from bot.features.regions.pickers import Answer, Outcome
from bot.features.regions.service import RegionService

__all__ = ["Answer", "Outcome", "RegionService"]

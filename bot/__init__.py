"""Midjourney (AceData Imagine API) bot for Telegram."""

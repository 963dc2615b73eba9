"""Telegram update handlers: thin, they read the update, call one service, reply."""

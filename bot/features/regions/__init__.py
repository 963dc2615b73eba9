"""Vary (Region): the picker service, its mask and overlay drawing."""

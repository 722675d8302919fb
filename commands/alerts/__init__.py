"""Alerts open incidents: the platform-neutral part (bot/alerts reads the payloads)."""

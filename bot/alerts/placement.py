"""Where an alert opens its incident: the platform of ``INCIDENTS_FEED`` (Slack or
Discord, in that order), else the console. The incident is opened as if from the feed
channel: in that workspace, announced there."""

from __future__ import annotations

import logging

from bot.adapters import Adapter
from bot.console.platform import WORKSPACE
from bot.discord.runtime import DiscordAdapter
from bot.settings import Settings
from bot.slack.runtime import SlackAdapter
from commands import ChannelRef

log = logging.getLogger("candor.alerts")

CHAT_PLATFORMS = ("slack", "discord")


class Placement:
    def __init__(self, adapters: list[Adapter], feeds: dict[str, str], settings: Settings):
        self._adapters = {adapter.name: adapter for adapter in adapters}
        self._feeds = feeds
        self._settings = settings
        self._workspaces: dict[str, str] = {}  # platform → workspace, once known

    async def place(self) -> ChannelRef | None:
        """None when no platform can take an incident (nothing configured)."""
        for platform in CHAT_PLATFORMS:
            feed = self._settings.feeds.get(platform)
            if feed and platform in self._adapters:
                workspace = await self._workspace(platform, feed)
                if workspace:
                    return ChannelRef(platform, workspace, feed)
        console = self._adapters.get("console")
        if console is not None and console.feed_channel is not None:
            return ChannelRef("console", WORKSPACE, self._feeds.get("console", "incidents"))
        return None

    async def _workspace(self, platform: str, feed: str) -> str | None:
        known = self._workspaces.get(platform)
        if known:
            return known
        adapter = self._adapters[platform]
        workspace: str | None = None
        if isinstance(adapter, SlackAdapter):
            workspace = await adapter.check_token() or None  # auth.test: the team id
        elif self._settings.discord_guild_id is not None:
            workspace = str(self._settings.discord_guild_id)
        elif isinstance(adapter, DiscordAdapter) and feed.isdigit():
            guild = getattr(adapter.client.get_channel(int(feed)), "guild", None)
            workspace = str(guild.id) if guild is not None else None
        if workspace:
            self._workspaces[platform] = workspace
        else:
            log.warning("alerts: cannot tell which %s workspace INCIDENTS_FEED is in", platform)
        return workspace

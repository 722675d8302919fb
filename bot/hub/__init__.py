"""The public status hub: pages, Atom feed and JSON of published statements only."""

from bot.hub.destination import HUB, HubDestination
from bot.hub.routes import register_hub

__all__ = ["HUB", "HubDestination", "register_hub"]

"""Platform name → its adapter class (``bot.adapters.Adapter``), which builds it from the
settings; and what the composition root derives from the adapters: destinations by
prefix, the public's names for places, the channels a platform always uses.
A new platform is one folder under ``bot/`` and one line in ``PLATFORMS``."""

from __future__ import annotations

import contextlib

from bot.adapters import Adapter, DestinationKind, StartOptions
from bot.console.adapter import ConsoleAdapter
from bot.discord.runtime import DiscordAdapter
from bot.settings import Settings
from bot.slack.runtime import SlackAdapter
from bot.startup import StartupError
from commands import Destination, redact_urls

PLATFORMS: dict[str, type[Adapter]] = {
    ConsoleAdapter.name: ConsoleAdapter,
    SlackAdapter.name: SlackAdapter,
    DiscordAdapter.name: DiscordAdapter,
}

HUB_PLACE = "the status page"


async def build_adapters(settings: Settings, options: StartOptions) -> list[Adapter]:
    """The platforms the settings ask for, in registry order, each checked before the next."""
    adapters: list[Adapter] = []
    try:
        for platform in PLATFORMS.values():
            adapter = platform.build(settings, options)
            if adapter is not None:
                await adapter.check()
                adapters.append(adapter)
    except BaseException:  # a later platform refused: those already built let go too
        for built in adapters:
            with contextlib.suppress(Exception):
                await built.stop()
        raise
    return adapters


def chat_kinds(adapters: list[Adapter]) -> dict[str, DestinationKind]:
    return {a.name: DestinationKind(a.destination, place=a.place) for a in adapters}


def places(kinds: dict[str, DestinationKind]) -> dict[str, str]:
    """How the public knows each kind of place, for every platform, configured or not."""
    known = {name: p.place for name, p in PLATFORMS.items() if p.place is not None}
    known.update({name: k.place for name, k in kinds.items() if k.place is not None})
    return {"hub": HUB_PLACE, **known}


def group_words() -> dict[str, str]:
    """How APPROVERS names each platform's groups (``slack:group:S1``, ``discord:role:7``)."""
    return {name: platform.group_word for name, platform in PLATFORMS.items()}


def implied(adapters: list[Adapter], settings: Settings) -> tuple[list[str], dict[str, str]]:
    """``PUBLIC_DESTINATIONS`` and feeds with the channels a platform always uses."""
    entries, feeds = settings.destinations, settings.feeds
    for adapter in reversed(adapters):  # in registry order at the front
        key = f"{adapter.name}:{adapter.public_channel}"
        if adapter.public_channel is not None and key not in entries:
            entries = [key, *entries]
    for adapter in adapters:
        if adapter.feed_channel is not None:
            feeds.setdefault(adapter.name, adapter.feed_channel)
    return entries, feeds


def build_destinations(
    entries: list[str], kinds: dict[str, DestinationKind]
) -> dict[str, Destination]:
    """``PUBLIC_DESTINATIONS`` entries → destinations; an unusable entry stops the start."""
    destinations: dict[str, Destination] = {}
    for entry in entries:
        name, _, target = entry.partition(":")
        kind = kinds.get(name.lower())
        if kind is None or not target:
            available = ", ".join(f"{n}:{k.target}" for n, k in kinds.items()) or "nothing"
            raise StartupError(
                f"PUBLIC_DESTINATIONS entry {redact_urls(entry)!r} cannot be used here: "
                f"with these settings Candor can publish to {available}."
            )
        try:
            destinations[entry] = kind.build(target)
        except ValueError as error:  # the factory says what is wrong and how to write it
            raise StartupError(str(error)) from error
    return destinations

"""Neutral messages → Discord embeds, and who (if anyone) a message may ping.

Discord never pings from inside an embed, so everything a person wrote goes in
the embed; pings the core chose on purpose (``Mention``, ``ChannelPing``) go in
the message content, and ``allowed_mentions`` names exactly those. User text
is also escaped so markdown in it cannot fake a mention or a link.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from commands import EMOJI_ALIASES, ChannelPing, Line, Link, Mention, Message, Strong

# Discord's own limits on an embed (https://discord.com/developers/docs/resources/message).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
MAX_FIELDS = 25
CONTENT_LIMIT = 2000

COLOUR = discord.Colour(0x3B5BDB)
NO_PINGS = discord.AllowedMentions.none()

# Slack-style names (the settings' APPROVE_EMOJI / REJECT_EMOJI) → the unicode Discord uses.
UNICODE_EMOJI = {name: char for char, name in reversed(EMOJI_ALIASES.items()) if len(char) <= 2}


def emoji_for(name: str) -> str:
    """The emoji to react with: a known name becomes its character; anything else is
    passed through (a unicode emoji, or a custom ``name:id``)."""
    return UNICODE_EMOJI.get(name.strip(":"), name)


def escape(text: str) -> str:
    """User text, shown as written: no markdown, no ``<@…>``/``@everyone`` that could
    look like (or, outside an embed, be) a ping."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def _segment(segment: object) -> str:
    if isinstance(segment, str):
        return escape(segment)
    if isinstance(segment, Mention):
        return f"<@{segment.user_id}>" if segment.user_id.isdigit() else escape(segment.user_id)
    if isinstance(segment, ChannelPing):
        return "@here"
    if isinstance(segment, Strong):
        return f"**{escape(segment.text)}**" if segment.text.strip() else ""
    if isinstance(segment, Link):
        return f"[{escape(segment.label)}]({segment.url})"
    return ""


def markdown(line: Line) -> str:
    return "".join(_segment(segment) for segment in line)


@dataclass(frozen=True)
class Rendered:
    """What to send: the content carrying on-purpose pings (if any), the embed, and the
    ``allowed_mentions`` that lets exactly those pings through."""

    content: str | None
    embed: discord.Embed
    allowed_mentions: discord.AllowedMentions


def _pings(message: Message) -> tuple[list[str], bool]:
    users: list[str] = []
    here = False
    for line in message.lines:
        for segment in line:
            if isinstance(segment, Mention) and segment.user_id.isdigit():
                users.append(segment.user_id)
            elif isinstance(segment, ChannelPing):
                here = True
    return list(dict.fromkeys(users)), here


def embed(message: Message, *, url: str | None = None) -> discord.Embed:
    description = "\n".join(markdown(line) for line in message.lines).strip()
    card = discord.Embed(
        title=(message.title or "")[:TITLE_LIMIT] or None,
        description=description[:DESCRIPTION_LIMIT] or None,
        colour=COLOUR,
        url=url,
    )
    for label, value in message.fields[:MAX_FIELDS]:
        card.add_field(
            name=escape(label)[:FIELD_NAME_LIMIT] or "\u200b",
            value=escape(value)[:FIELD_VALUE_LIMIT] or "\u200b",
            inline=True,
        )
    if message.footer:
        card.set_footer(text=message.footer[:FOOTER_LIMIT])
    return card


def render(message: Message, *, pings: bool = True) -> Rendered:
    """A message for a chat channel. ``pings=False`` (public statements) lets nothing ping."""
    users, here = _pings(message) if pings else ([], False)
    parts = [f"<@{user}>" for user in users] + (["@here"] if here else [])
    allowed = discord.AllowedMentions(
        everyone=here,
        users=[discord.Object(int(u)) for u in users],
        roles=False,
        replied_user=False,
    )
    content = " ".join(parts)[:CONTENT_LIMIT] or None
    return Rendered(content, embed(message), allowed if parts else NO_PINGS)


def plain(message: Message) -> str:
    """Markdown text (for interaction replies that are short enough to need no embed)."""
    lines = [f"**{escape(message.title)}**"] if message.title else []
    lines.extend(markdown(line) for line in message.lines)
    lines.extend(f"{escape(label)}: {escape(value)}" for label, value in message.fields)
    if message.footer:
        lines.append(f"-# {escape(message.footer)}")
    return "\n".join(lines)[:CONTENT_LIMIT]

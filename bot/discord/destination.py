"""A public Discord channel as a destination for approved statements.

The statement goes in an embed linking to the status hub, with ``allowed_mentions``
none: nothing anyone wrote can ping @everyone, @here, a role or a person.

In an announcement channel the message is also published (crossposted), so servers
following the channel receive it.

Never twice: each post carries a nonce derived from the delivery with
``enforce_nonce``, so Discord itself answers a quick retry with the message it
already has; a later retry (the process died after Discord accepted the post)
first looks for the statement in the channel's recent history.

A correction is posted the same way; then ``amend`` edits the original's message.
"""

from __future__ import annotations

import discord

from bot.discord.errors import DISCORD_ERRORS, delivery_failed
from bot.discord.render import NO_PINGS, embed
from commands import Publication, amended_message, publication_message

HISTORY_WINDOW = 50


def nonce(delivery_id: int) -> str:
    return f"candor-{delivery_id}"[:25]  # Discord takes nonces of up to 25 characters


def marker(publication: Publication) -> str:
    """The footer's start names the incident and the statement: what the history check
    matches (the footer is what every published embed ends with)."""
    return f"{publication.incident_ref} · {publication.statement_ref} · "


class DiscordChannelDestination:
    def __init__(self, client: discord.Client, channel_id: str) -> None:
        if not channel_id.isdigit():
            raise ValueError(f"discord:{channel_id} is not a channel id (a number)")
        self.client, self.channel_id = client, channel_id
        self.key = f"discord:{channel_id}"
        self.label = f"Discord #{channel_id}"

    async def deliver(self, publication: Publication) -> str:
        try:
            channel = await self._channel()
            posted = None
            if publication.attempt > 1:
                posted = await self._already_posted(channel, publication)
            if posted is None:
                posted = await channel.send(
                    embed=self._embed(publication),
                    allowed_mentions=NO_PINGS,
                    nonce=nonce(publication.delivery_id),
                )
            if _is_announcement(channel) and not posted.flags.crossposted:
                await posted.publish()
        except DISCORD_ERRORS as error:
            raise delivery_failed(error) from error
        return str(posted.id)

    async def amend(self, publication: Publication, original_external_id: str) -> None:
        """A correction went out: the original message keeps its words under a visible
        "Corrected" note (an edit reaches following servers too). Editing is idempotent."""
        original = publication.corrects
        assert original is not None
        card = embed(amended_message(publication), url=publication.hub_url)
        stamp = f"{publication.published_at:%Y-%m-%d %H:%M} UTC"
        card.set_footer(
            text=f"{publication.incident_ref} · {original.statement_ref} · corrected {stamp}"
        )
        message = self.client.get_partial_messageable(int(self.channel_id))
        try:
            await message.get_partial_message(int(original_external_id)).edit(
                embed=card, allowed_mentions=NO_PINGS
            )
        except DISCORD_ERRORS as error:
            raise delivery_failed(error) from error

    def _embed(self, publication: Publication) -> discord.Embed:
        message = publication_message(publication)
        card = embed(message, url=publication.hub_url)
        footer = f"{marker(publication)}{publication.severity.upper()} · "
        card.set_footer(text=f"{footer}{publication.published_at:%Y-%m-%d %H:%M} UTC")
        return card

    async def _channel(self) -> discord.TextChannel:
        found = self.client.get_channel(int(self.channel_id))
        if found is None:
            found = await self.client.fetch_channel(int(self.channel_id))
        if not isinstance(found, discord.TextChannel):
            raise discord.DiscordException(
                f"channel {self.channel_id} is not a text or announcement channel"
            )
        return found

    async def _already_posted(
        self, channel: discord.TextChannel, publication: Publication
    ) -> discord.Message | None:
        me = self.client.user
        start = marker(publication)
        async for message in channel.history(limit=HISTORY_WINDOW):
            if me is None or message.author.id != me.id:
                continue
            if any((card.footer.text or "").startswith(start) for card in message.embeds):
                return message
        return None


def _is_announcement(channel: discord.TextChannel) -> bool:
    return channel.is_news()

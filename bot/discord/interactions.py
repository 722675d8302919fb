"""One slash-command interaction: defer at once, run it on the Desk, answer by follow-up.

Discord wants an answer within 3 s; deferring ("Candor is thinking…") buys 15
minutes. Whether that placeholder is private is fixed at defer time, before the
Desk has said whether its reply is private, so we guess from the verb and, when
the guess was wrong, delete the placeholder and send a fresh follow-up: an error
is never shown to the whole channel, and a public answer is never hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord

from bot.discord.render import NO_PINGS, embed
from bot.priority import TeamFirst
from commands import VERBS, Actor, ChannelRef, Command, CommandError, Desk, Reply, text

log = logging.getLogger("candor.discord")
PLATFORM = "discord"
ERROR_COLOUR = discord.Colour(0xC92A2A)


def actor_of(user: discord.abc.User) -> Actor:
    return Actor(PLATFORM, str(user.id), getattr(user, "display_name", "") or user.name)


def channel_of(interaction: discord.Interaction) -> ChannelRef:
    return ChannelRef(PLATFORM, str(interaction.guild_id or ""), str(interaction.channel_id or ""))


async def _answer(interaction: discord.Interaction, reply: Reply, deferred_private: bool) -> None:
    card = embed(reply.message)
    if reply.is_error:
        card.colour = ERROR_COLOUR
    if reply.ephemeral == deferred_private:
        await interaction.edit_original_response(embed=card, allowed_mentions=NO_PINGS)
        return
    await interaction.delete_original_response()
    await interaction.followup.send(
        embed=card, ephemeral=reply.ephemeral, allowed_mentions=NO_PINGS
    )


async def answer_now(interaction: discord.Interaction, reply: Reply) -> None:
    """An answer as the first response (no deferral): a form could not be opened."""
    card = embed(reply.message)
    if reply.is_error:
        card.colour = ERROR_COLOUR
    await interaction.response.send_message(
        embed=card, ephemeral=reply.ephemeral, allowed_mentions=NO_PINGS
    )


def refusal(*lines: str) -> Reply:
    return Reply(text(*lines), ephemeral=True, is_error=True)


class Responder:
    """Runs slash commands for the ``incident`` group against the Desk."""

    def __init__(self, desk: Desk, team_first: TeamFirst | None = None) -> None:
        self.desk = desk
        self.team_first = team_first or TeamFirst()

    async def run(
        self,
        interaction: discord.Interaction,
        verb: str,
        command: str | Callable[[], Command],
        *,
        needs: discord.Permissions | None = None,
    ) -> None:
        """``command`` is the text after ``/incident`` (parsed by the core's grammar, so
        usage errors read the same as everywhere) or builds the ``Command`` itself."""
        private = VERBS[verb].private  # the verb answers only the asker
        try:
            with self.team_first.working():
                await interaction.response.defer(ephemeral=private, thinking=True)
                reply = await self._reply(interaction, command, needs)
                if reply.duplicate:
                    return
                await _answer(interaction, reply, private)
        except discord.HTTPException as error:  # the interaction expired or was deleted
            log.warning("Discord: could not answer /incident %s: %s", verb, error)

    async def _reply(
        self,
        interaction: discord.Interaction,
        command: str | Callable[[], Command],
        needs: discord.Permissions | None,
    ) -> Reply:
        if interaction.guild_id is None:
            return refusal("Incidents live in a server: run /incident in one of its channels.")
        if needs is not None and not interaction.app_permissions >= needs:
            missing = [
                name for name, on in needs if on and not getattr(interaction.app_permissions, name)
            ]
            return refusal(
                f"The bot lacks {', '.join(m.replace('_', ' ').title() for m in missing)} here.",
                "Give its role those permissions (or re-invite it with the README's invite URL).",
            )
        actor, channel = actor_of(interaction.user), channel_of(interaction)
        key = f"discord:ix:{interaction.id}"
        if isinstance(command, str):
            return await self.desk.handle_text(command, actor, channel, event_key=key)
        try:
            built = command()
        except CommandError as error:
            return refusal(*str(error).split("\n"))
        return await self.desk.handle(built, actor, channel, event_key=key)

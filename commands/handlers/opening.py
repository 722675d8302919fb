"""``open`` makes its channel before its unit of work (issue 14): a platform that takes
seconds to answer must not hold the database (SQLite's one writer) for everyone else.

A short transaction reserves the incident number; the channel is made with no
transaction open; the incident is written in a second transaction. If the channel
cannot be made the number is given back; if the incident cannot be saved the channel
says so, so nobody works in a channel nothing tracks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from commands.context import Ctx, Deps
from commands.domain import channel_name
from commands.grammar import requests as rq
from commands.ports import ChannelRef, NewChannel, text
from storage import UnitOfWork

log = logging.getLogger("candor.incidents")


@dataclass(frozen=True)
class Opening:
    """What the open handler writes its incident with."""

    platform: str
    number: int
    channel: NewChannel


class ChannelFirst:
    """The ``Preparation`` of ``open``."""

    async def reserve(self, ctx: Ctx, request: rq.OpenIncident) -> int:
        where = ctx.channel
        return await ctx.uow.incidents.reserve_number(where.platform, where.workspace_id, ctx.now)

    async def call(
        self, deps: Deps, channel: ChannelRef, request: rq.OpenIncident, reserved: int
    ) -> Opening:
        made = await deps.chat(channel.platform).create_channel(
            channel.workspace_id,
            channel_name(reserved, request.title),
            f"{request.severity.upper()} · investigating",
        )
        return Opening(channel.platform, reserved, made)

    async def release(self, uow: UnitOfWork, channel: ChannelRef, reserved: int) -> None:
        await uow.incidents.release_number(channel.platform, channel.workspace_id, reserved)

    async def abandon(self, deps: Deps, made: Opening) -> None:
        """The incident could not be saved after its channel was made: say so in the
        channel (which the platform will not let the bot delete everywhere)."""
        name = made.channel.name
        log.error("open failed after creating #%s; the channel was left and marked", name)
        try:
            chat = deps.chat(made.platform)
            await chat.post(
                made.channel.channel_id,
                text(
                    "⚠️ This channel was made for an incident that could not be saved, so "
                    "nothing here is tracked. Archive it and run `/incident open` again.",
                ),
            )
        except Exception:
            log.exception("could not mark the orphaned channel #%s", name)


CHANNEL_FIRST = ChannelFirst()

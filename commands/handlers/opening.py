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
        """The next incident number, held while the channel is made: a key among the
        processed events, so two opens racing never pick the same one and a failed open
        gives it back. A process that dies mid-open leaves a gap of one number, for the
        day the event keys are kept."""
        where, uow = ctx.channel, ctx.uow
        number = await uow.incidents.next_number(where.platform, where.workspace_id)
        while not await uow.events.first_time(_held(where, number), ctx.now):
            number += 1
        return number

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
        await uow.events.forget(_held(channel, reserved))

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


def _held(where: ChannelRef, number: int) -> str:
    return f"incident-number:{where.platform}:{where.workspace_id}:{number}"


CHANNEL_FIRST = ChannelFirst()

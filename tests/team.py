"""A team at work: people typing commands and reacting, through the Desk's public
entry points only. Tests read what they would see in the chat."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import SQLModel, select

from commands.approval.policy import ApprovalPolicy, parse_approvers
from commands.authority.rules import AuthorityPolicy, parse_admins
from commands.context import Deps
from commands.desk import Desk, Reaction
from commands.ports import Actor, ChannelRef, Destination, NullTimer, Reply
from commands.publishing.destinations import ChatChannelDestination
from storage import Incident, Store
from tests.fakes.chat import RecordingChat, Sent
from tests.fakes.clock import FakeClock

WORKSPACE = "T1"
PUBLIC = "PUBLIC"
GENERAL = "GENERAL"
FEED = "FEED"


@dataclass
class Team:
    desk: Desk
    store: Store
    clock: FakeClock
    chat: RecordingChat
    timer: NullTimer
    where: dict[str, str] = field(default_factory=dict)  # who → channel they type in

    @classmethod
    def build(
        cls,
        store: Store,
        clock: FakeClock,
        chat: RecordingChat,
        *,
        approvers: str | None = None,
        required: Mapping[str, int] | None = None,
        author_counts: bool = False,
        destinations: Mapping[str, Destination] | None = None,
        admins: str = "",
    ) -> Team:
        policy = ApprovalPolicy()
        if approvers is not None:
            policy = ApprovalPolicy(
                approvers=parse_approvers(approvers.split(",")),
                required=required or policy.required,
                author_counts=author_counts,
            )
        elif required is not None or author_counts:
            policy = ApprovalPolicy(
                required=required or policy.required, author_counts=author_counts
            )
        if destinations is None:
            destinations = {
                f"chat:{PUBLIC}": ChatChannelDestination(chat, PUBLIC, f"chat:{PUBLIC}", "#public")
            }
        timer = NullTimer()
        deps = Deps(
            store=store,
            clock=clock,
            platforms={chat.name: chat},
            timer=timer,
            destinations=destinations,
            approval=policy,
            authority=AuthorityPolicy(
                admins=parse_admins(parse_approvers(admins.split(","), setting="ADMINS"))
            ),
            feeds={chat.name: FEED},
            # What the adapters would tell the core (bot/registry.py): how the public knows
            # each kind of place; any other destination is named by its label.
            places={"hub": "the status page", "webhook": "webhooks", "email": "email"},
        )
        return cls(Desk(deps), store, clock, chat, timer)

    def channel_of(self, who: str) -> ChannelRef:
        return ChannelRef(self.chat.name, WORKSPACE, self.where.get(who, GENERAL))

    async def say(self, who: str, line: str, *, event_key: str | None = None) -> Reply:
        """``who`` types ``line`` in the channel they are in (the incident channel after open)."""
        return await self.desk.handle_text(
            line,
            Actor(self.chat.name, who, who.capitalize()),
            self.channel_of(who),
            event_key=event_key,
        )

    async def open(self, who: str, line: str = "/incident open Payments failing sev2") -> Reply:
        reply = await self.say(who, line)
        assert not reply.is_error, reply.plain
        self.enter_latest(who)
        await self.settle()
        return reply

    def enter_latest(self, *people: str) -> str:
        channel = list(self.chat.channels)[-1]
        for person in people:
            self.where[person] = channel
        return channel

    def join(self, channel_id: str, *people: str) -> None:
        for person in people:
            self.where[person] = channel_id

    async def react(
        self,
        who: str,
        statement: str,
        emoji: str = "white_check_mark",
        *,
        added: bool = True,
        message: Sent | None = None,
        event_key: str | None = None,
    ) -> Reply | None:
        target = message or self.chat.draft_message(statement)
        return await self.desk.react(
            Reaction(
                channel=ChannelRef(self.chat.name, WORKSPACE, target.channel_id),
                message_id=target.message_id,
                actor=Actor(self.chat.name, who, who.capitalize()),
                emoji=emoji,
                added=added,
                event_key=event_key,
            )
        )

    async def settle(self) -> None:
        """Let due work run at the current (fake) time, as the timer would."""
        await self.desk.settle()

    async def later(self, **delta: float) -> None:
        self.clock.advance(**delta)
        await self.settle()

    def public_posts(self) -> list[Sent]:
        return self.chat.in_channel(PUBLIC)

    async def incident(self, number: int = 1) -> Incident:
        async with self.store.unit_of_work() as uow:
            found = await uow.incidents.by_number(self.chat.name, WORKSPACE, number)
        assert found is not None
        return found

    async def count(self, table: type[SQLModel]) -> int:
        async with self.store.unit_of_work() as uow:
            return int((await uow.session.exec(select(func.count()).select_from(table))).one())

    async def counts(self) -> dict[str, int]:
        """Rows per table: a command that failed must leave these unchanged."""
        result: dict[str, int] = {}
        for table in SQLModel.metadata.sorted_tables:
            async with self.store.unit_of_work() as uow:
                query: Any = select(func.count()).select_from(table)
                result[table.name] = int((await uow.session.exec(query)).one())
        return result

"""Each destination has its own courier: one that hangs delays no other destination
and no other incident, its attempt ends at its own deadline and is retried later, and
stopping the desk ends a hanging attempt without losing the delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import col, select

from commands.ports import Publication
from commands.publishing.destinations import ChatChannelDestination
from commands.publishing.outbox import STALE_SENDING
from storage import Delivery, Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import PUBLIC, Team

LIMIT = 5.0  # bounds every wait: a failure shows as a timeout, never a hung run


@dataclass
class Gated:
    """Takes a publication only once ``gate`` is set (for the incidents in ``holds``,
    or all); ``arrived`` is set when one is waiting. ``timeout`` as a destination says it."""

    key: str = "test:gated"
    label: str = "gated receiver"
    timeout: float = 60.0
    holds: set[str] | None = None  # incident refs held; None: every one
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    accepted: list[tuple[str, str]] = field(default_factory=list)
    took: asyncio.Event = field(default_factory=asyncio.Event)  # set at each acceptance
    attempts: int = 0

    async def deliver(self, publication: Publication) -> str:
        self.attempts += 1
        if self.holds is None or publication.incident_ref in self.holds:
            self.arrived.set()
            await self.gate.wait()
        self.accepted.append((publication.incident_ref, publication.statement_ref))
        self.took.set()
        return f"gated-{publication.delivery_id}"


class Watched(ChatChannelDestination):
    """The public chat channel, telling the test each time it took a statement."""

    delivered = asyncio.Event()

    async def deliver(self, publication: Publication) -> str:
        try:
            return await super().deliver(publication)
        finally:
            type(self).delivered.set()


def _team(store: Store, clock: FakeClock, chat: RecordingChat, gated: Gated) -> Team:
    Watched.delivered = asyncio.Event()
    public = Watched(chat, PUBLIC, f"chat:{PUBLIC}", "#public")
    return Team.build(store, clock, chat, destinations={public.key: public, gated.key: gated})


async def _until(condition: Callable[[], bool], signal: asyncio.Event | None = None) -> None:
    """Until ``condition`` holds, looked at each time ``signal`` (by default: the public
    channel took a statement) is set; bounded."""

    async def wait() -> None:
        changed = signal or Watched.delivered
        while not condition():
            changed.clear()
            await changed.wait()

    await asyncio.wait_for(wait(), LIMIT)


async def _approve_new_incident(team: Team, title: str) -> None:
    """alice opens an incident and approves its S1, without waiting for the deliveries."""
    reply = await team.say("alice", f"/incident open {title} sev2")
    assert not reply.is_error, reply.plain
    team.enter_latest("alice")
    await team.react("alice", "S1")
    await asyncio.wait_for(team.desk.run_due(), LIMIT)  # hands over; never waits


async def _rows(store: Store, destination: str) -> list[Delivery]:
    async with store.unit_of_work() as uow:
        query = select(Delivery).where(Delivery.destination == destination)
        return list((await uow.session.exec(query.order_by(col(Delivery.id)))).all())


def _posted(team: Team, ref: str) -> bool:
    return any(ref in post.text for post in team.public_posts())


async def test_a_hanging_destination_delays_no_other_destination_or_incident(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    gated = Gated()
    team = _team(store, clock, chat, gated)
    await _approve_new_incident(team, "Payments failing")
    await asyncio.wait_for(gated.arrived.wait(), LIMIT)  # INC-1 S1 hangs there
    await _until(lambda: _posted(team, "INC-1"))

    await _approve_new_incident(team, "Search slow")  # another incident, while it hangs
    await _until(lambda: _posted(team, "INC-2"))
    assert gated.accepted == []  # still hanging

    gated.gate.set()
    await asyncio.wait_for(team.settle(), LIMIT)
    assert sorted(gated.accepted) == [("INC-1", "S1"), ("INC-2", "S1")]
    assert [d.state for d in await _rows(store, gated.key)] == ["sent", "sent"]


async def test_one_incident_hanging_at_a_destination_leaves_its_others_moving(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    """A destination's deliveries of different incidents go side by side."""
    gated = Gated(holds={"INC-1"})
    team = _team(store, clock, chat, gated)
    await _approve_new_incident(team, "Payments failing")
    await asyncio.wait_for(gated.arrived.wait(), LIMIT)
    await _approve_new_incident(team, "Search slow")
    await _until(lambda: gated.accepted == [("INC-2", "S1")], gated.took)
    gated.gate.set()
    await asyncio.wait_for(team.settle(), LIMIT)
    assert gated.accepted == [("INC-2", "S1"), ("INC-1", "S1")]


async def test_an_attempt_that_never_answers_times_out_and_is_retried_later(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    gated = Gated(timeout=0.05)  # an injected short deadline; the gate stays shut
    team = _team(store, clock, chat, gated)
    await _approve_new_incident(team, "Payments failing")
    await asyncio.wait_for(team.desk.couriers.idle(), LIMIT)

    assert _posted(team, "INC-1")
    [row] = await _rows(store, gated.key)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error == "no answer within 0.05 s"
    assert row.next_attempt_at is not None and row.next_attempt_at > clock.now()
    assert row.next_attempt_at in team.timer.requested  # the courier re-armed the timer

    gated.gate.set()  # the receiver is back
    await team.later(minutes=2)
    [row] = await _rows(store, gated.key)
    assert (row.state, row.attempts) == ("sent", 2)
    assert gated.accepted == [("INC-1", "S1")]


async def test_stopping_ends_a_hanging_attempt_and_the_delivery_is_sent_after_its_lease(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    gated = Gated()
    team = _team(store, clock, chat, gated)
    await _approve_new_incident(team, "Payments failing")
    await asyncio.wait_for(gated.arrived.wait(), LIMIT)

    await asyncio.wait_for(team.desk.stop(grace=0.01), LIMIT)
    [row] = await _rows(store, gated.key)
    assert row.state == "sending"  # cancelled mid-send: whether it got there is unknown

    gated.gate.set()
    await team.later(seconds=STALE_SENDING.total_seconds() + 1)
    [row] = await _rows(store, gated.key)
    assert (row.state, row.attempts) == ("sent", 2)
    assert gated.accepted == [("INC-1", "S1")]

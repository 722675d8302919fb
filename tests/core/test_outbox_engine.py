"""The delivery engine: destinations in parallel, one destination in order, a dead
sender's claim recovered by the living, and the operator's retry."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from commands.ports import Destination
from commands.publishing.destinations import ChatChannelDestination
from commands.publishing.outbox import STALE_SENDING, retry_delay
from storage import Delivery, Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.fakes.destinations import FlakyDestination, LoggingDestination, Rendezvous
from tests.team import PUBLIC, Team


def _team(store: Store, clock: FakeClock, chat: RecordingChat, *extra: Destination) -> Team:
    public = ChatChannelDestination(chat, PUBLIC, "chat:PUBLIC", "#public")
    destinations = {public.key: public, **{d.key: d for d in extra}}
    return Team.build(store, clock, chat, destinations=destinations)


async def _deliveries(team: Team) -> list[Delivery]:
    async with team.store.unit_of_work() as uow:
        query = select(Delivery).order_by(col(Delivery.id))
        return list((await uow.session.exec(query)).all())


async def _second_statement(team: Team) -> None:
    """S2 drafted by the comms owner and approved, S1 still waiting to be sent."""
    await team.say("alice", "/incident assign comms @dana")
    team.join(team.where["alice"], "dana")
    reply = await team.say(
        "dana",
        "/incident draft We are still investigating failed payments. Please retry later. "
        "Next update in 30 minutes.",
    )
    assert not reply.is_error, reply.plain
    await team.react("alice", "S2")


async def test_destinations_overlap_but_each_gets_its_statements_in_order(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    log: list[tuple[str, str, str]] = []
    meeting = Rendezvous(2)  # neither finishes S1 until both have started it
    one = LoggingDestination("test:one", log, meeting)
    two = LoggingDestination("test:two", log, meeting)
    team = _team(store, clock, chat, one, two)
    await team.say("alice", "/incident open Payments failing sev2")
    team.enter_latest("alice")
    await team.react("alice", "S1")
    await _second_statement(team)
    await team.settle()  # S1 and S2 are both due for both destinations

    for key in ("test:one", "test:two"):
        mine = [(what, ref) for k, what, ref in log if k == key]
        assert mine == [("start", "S1"), ("end", "S1"), ("start", "S2"), ("end", "S2")]
    first_end = next(i for i, (_, what, _) in enumerate(log) if what == "end")
    assert {k for k, what, _ in log[:first_end] if what == "start"} == {"test:one", "test:two"}
    assert len(team.public_posts()) == 2


async def test_the_first_destination_has_it_before_the_others_start(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    """The runtime puts the status hub first: every other message links to a page
    that already shows the statement."""
    log: list[tuple[str, str, str]] = []
    hub = LoggingDestination("test:hub", log)
    meeting = Rendezvous(2)  # one meeting for both: they finish only once both started
    others = [LoggingDestination(f"test:{name}", log, meeting) for name in "ab"]
    destinations = {d.key: d for d in (hub, *others)}
    team = Team.build(store, clock, chat, destinations=destinations)
    await team.say("alice", "/incident open Payments failing sev2")
    team.enter_latest("alice")
    await team.react("alice", "S1")
    await team.settle()
    assert log[:2] == [("test:hub", "start", "S1"), ("test:hub", "end", "S1")]
    assert sorted(log[2:]) == sorted(
        [(f"test:{name}", what, "S1") for name in "ab" for what in ("start", "end")]
    )


async def test_a_claim_left_by_a_dead_sender_is_taken_back_once_its_lease_runs_out(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    await team.say("alice", "/incident open Payments failing sev2")
    team.enter_latest("alice")
    await team.react("alice", "S1")
    # Another process (a replica) claimed it and died before sending or recording.
    async with store.unit_of_work() as uow:
        [delivery_id] = await uow.deliveries.due_ids(clock.now())
        assert await uow.deliveries.claim(delivery_id, clock.now())
    claimed_at = clock.now()
    await team.desk.rearm()
    assert claimed_at + STALE_SENDING in team.timer.requested  # woken when the lease ends

    lease = STALE_SENDING.total_seconds()
    await team.later(seconds=lease - 1)
    assert team.public_posts() == []  # the lease still holds: maybe it is just slow
    await team.later(seconds=2)  # no restart needed
    await team.settle()
    assert len(team.public_posts()) == 1
    [delivery] = await _deliveries(team)
    assert delivery.state == "sent" and delivery.attempts == 2


async def test_an_operator_retries_a_failed_delivery(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    hook = FlakyDestination(key="test:hook", failures=1, retryable=False)
    team = _team(store, clock, chat, hook)
    await team.open("alice")
    await team.react("alice", "S1")
    await team.settle()
    [_, failed] = await _deliveries(team)
    assert failed.state == "failed" and failed.id is not None
    channel = team.where["alice"]
    assert any(f"candor deliveries retry {failed.id}" in t for t in team.chat.texts(channel))

    listed = await team.desk.list_deliveries(failed_only=True)
    assert f"{failed.id}  failed   INC-1 S1 → flaky receiver  attempts 1" in listed.plain
    pending = await team.desk.retry_delivery(failed.id, by="ops")
    assert not pending.is_error and "queued again" in pending.plain
    assert team.timer.requested[-1] == clock.now()  # a local desk wakes at once
    twice = await team.desk.retry_delivery(failed.id)
    assert twice.is_error and "is pending, not failed" in twice.plain

    await team.settle()
    assert len(hook.accepted) == 1
    [_, delivered] = await _deliveries(team)
    # A fresh budget, but the attempt is still "not the first": a destination that can
    # look for an earlier copy (Slack's metadata check) does so.
    assert delivered.state == "sent" and delivered.attempts == 2
    assert hook.accepted[0].attempt == 2
    reports = [t for t in team.chat.texts(channel) if "S1 is public" in t]
    assert "flaky receiver" in reports[-1]  # the channel hears the new outcome
    assert (await team.desk.list_deliveries(failed_only=True)).plain == "No failed deliveries."
    assert len(team.public_posts()) == 1


async def test_retrying_what_is_not_failed_says_why(team: Team) -> None:
    await team.open("alice")
    await team.react("alice", "S1")
    await team.settle()
    [sent] = await _deliveries(team)
    assert sent.id is not None
    reply = await team.desk.retry_delivery(sent.id)
    assert reply.is_error and f"Delivery {sent.id} is sent, not failed" in reply.plain
    missing = await team.desk.retry_delivery(404)
    assert missing.is_error and "There is no delivery 404." in missing.plain
    assert "candor deliveries list --failed" in missing.plain


def test_retry_after_is_honoured_within_reason() -> None:
    assert retry_delay(1, timedelta(seconds=90)) == timedelta(seconds=90)
    assert retry_delay(1, timedelta(0)) == timedelta(seconds=1)
    assert retry_delay(1, timedelta(days=2)) == timedelta(hours=1)
    assert timedelta(seconds=8) <= retry_delay(1, None) <= timedelta(seconds=12)
    assert timedelta(seconds=32) <= retry_delay(3, None) <= timedelta(seconds=48)

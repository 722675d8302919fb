"""No network call while a unit of work is open: asking the platform whether a voter is
in an APPROVERS group happens before the transaction, so a slow platform holds up only
the vote that asked, never the team's other commands (SQLite has one writer; on
PostgreSQL the vote would hold the incident's row)."""

from __future__ import annotations

import asyncio

import pytest

from commands.ports import NewChannel, text
from storage import Incident, Store
from tests.core.test_approvals import desk, draft, statement
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import Team

BOUND = 5.0  # a bound on every wait below, never a timing


def slow_groups(chat: RecordingChat) -> tuple[asyncio.Event, asyncio.Event]:
    """Group lookups that wait until the returned ``answer`` is set (``asked`` once one
    has begun)."""
    asked, answer = asyncio.Event(), asyncio.Event()
    groups = chat.groups

    async def in_group(workspace_id: str, user_id: str, group_id: str) -> bool:
        asked.set()
        await answer.wait()
        return user_id in groups.get(group_id, set())

    chat.in_group = in_group  # type: ignore[method-assign]
    return asked, answer


async def test_a_slow_group_lookup_holds_up_no_other_command(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    ref = await draft(team)
    asked, answer = slow_groups(chat)

    vote = asyncio.create_task(team.react("erin", ref))  # erin approves through `leads`
    await asyncio.wait_for(asked.wait(), BOUND)
    assert asked.is_set() and not vote.done()
    # Meanwhile the team works on: a read and a write, both answered at once.
    status = await asyncio.wait_for(team.say("alice", "/incident status"), BOUND)
    task = await asyncio.wait_for(
        team.say("alice", "/incident task @bob 30m check the logs"), BOUND
    )
    assert not status.is_error and not task.is_error, (status.plain, task.plain)
    assert not vote.done(), "the vote still waits for the platform"

    answer.set()
    await asyncio.wait_for(vote, BOUND)
    await team.settle()
    assert (await statement(team, ref)).state == "published"  # the group's answer counted


async def test_a_group_lookup_that_fails_changes_nothing(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    ref = await draft(team)

    async def down(workspace_id: str, user_id: str, group_id: str) -> bool:
        from tests.fakes.chat import ChatDown

        raise ChatDown("usergroups.users.list refused")

    chat.in_group = down  # type: ignore[method-assign]
    reply = await team.react("erin", ref)
    assert reply is not None and reply.is_error
    assert (await statement(team, ref)).state == "draft"


def slow_channels(chat: RecordingChat) -> tuple[asyncio.Event, asyncio.Event]:
    """Channel creation that waits until ``answer`` is set (``asked`` once it has begun)."""
    asked, answer = asyncio.Event(), asyncio.Event()
    create = chat.create_channel

    async def create_channel(workspace_id: str, name: str, topic: str) -> NewChannel:
        asked.set()
        await answer.wait()
        return await create(workspace_id, name, topic)

    chat.create_channel = create_channel  # type: ignore[method-assign]
    return asked, answer


async def test_a_slow_channel_creation_holds_up_no_other_command(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = Team.build(store, clock, chat)
    await team.open("alice", "/incident open Payments failing sev2")
    asked, answer = slow_channels(chat)

    second = asyncio.create_task(team.say("bob", "/incident open Login broken sev3"))
    await asyncio.wait_for(asked.wait(), BOUND)
    # The platform is slow to make INC-2's channel; INC-1's team works on meanwhile.
    status = await asyncio.wait_for(team.say("alice", "/incident status"), BOUND)
    task = await asyncio.wait_for(
        team.say("alice", "/incident task @carol 30m check the logs"), BOUND
    )
    listing = await asyncio.wait_for(team.say("bob", "/incident list"), BOUND)
    assert not status.is_error and not task.is_error, (status.plain, task.plain)
    assert "INC-1" in listing.plain and "INC-2" not in listing.plain  # not half-made
    assert not second.done()

    answer.set()
    opened = await asyncio.wait_for(second, BOUND)
    assert not opened.is_error and "Opened INC-2" in opened.plain, opened.plain
    assert await team.count(Incident) == 2


async def test_opens_racing_a_slow_platform_take_distinct_numbers(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = Team.build(store, clock, chat)
    asked, answer = slow_channels(chat)
    first = asyncio.create_task(team.say("alice", "/incident open Payments failing sev2"))
    await asyncio.wait_for(asked.wait(), BOUND)
    second = asyncio.create_task(team.say("bob", "/incident open Login broken sev3"))
    answer.set()
    replies = await asyncio.wait_for(asyncio.gather(first, second), BOUND)
    assert [r.is_error for r in replies] == [False, False], [r.plain for r in replies]
    assert sorted(r.plain.split(" · ")[0] for r in replies) == ["Opened INC-1", "Opened INC-2"]
    names = sorted(str(c["name"]) for c in chat.channels.values())
    assert names[0].startswith("inc-1-") and names[1].startswith("inc-2-"), names


async def test_a_channel_the_platform_refuses_gives_its_number_back(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = Team.build(store, clock, chat)
    chat.fail_create = True
    refused = await team.say("alice", "/incident open Payments failing sev2", event_key="Ev1")
    assert refused.is_error and "refused" in refused.plain
    assert await team.count(Incident) == 0

    chat.fail_create = False  # the platform's redelivery of the same event now succeeds
    retried = await team.say("alice", "/incident open Payments failing sev2", event_key="Ev1")
    assert not retried.is_error and "Opened INC-1" in retried.plain, retried.plain


async def test_a_platform_call_inside_a_write_transaction_fails_the_test(
    store: Store, chat: RecordingChat
) -> None:
    """The guard every test runs under (tests/fakes/chat.py) really trips."""
    with pytest.raises(AssertionError, match="inside a write transaction"):
        async with store.unit_of_work():
            await chat.post("C1", text("hello"))
    await chat.post("C1", text("after commit"))  # outside: allowed
    async with store.reading():
        await chat.post("C1", text("while only reading"))
    assert [s.text for s in chat.sent] == ["after commit", "while only reading"]

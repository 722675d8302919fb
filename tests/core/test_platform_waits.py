"""No network call while a unit of work is open: asking the platform whether a voter is
in an APPROVERS group happens before the transaction, so a slow platform holds up only
the vote that asked, never the team's other commands (SQLite has one writer; on
PostgreSQL the vote would hold the incident's row)."""

from __future__ import annotations

import asyncio

from storage import Store
from tests.core.test_approvals import desk, draft, statement
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock

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

"""`/incident reopen` and `/incident rename`: the team's facts change at once, the
public's only with the next statement approved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.hub.record import incident as public_incident
from commands.ports import Reply
from storage import Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import Team


@pytest.fixture
async def team(store: Store, clock: FakeClock, chat: RecordingChat) -> Team:
    """alice opens INC-1 and commands; carol is comms; the ack S1 is public."""
    team = Team.build(store, clock, chat)
    await team.open("alice")
    team.join(team.where["alice"], "carol", "mallory")
    await ok(team.say("alice", "/incident assign comms @carol"))
    await ok(team.say("alice", "/incident approve S1"))  # the pre-approved ack, by its author
    await team.settle()
    return team


async def ok(pending: object) -> Reply:
    reply = await pending  # type: ignore[misc]
    assert not reply.is_error, reply.plain
    return reply


async def public_view(team: Team) -> tuple[str, str]:
    incident = await team.incident()
    shown = await public_incident(team.store, incident.id or 0)
    assert shown is not None
    return shown.title, shown.state


async def test_rename_reaches_the_public_with_the_next_approved_statement(team: Team) -> None:
    reply = await ok(team.say("carol", "/incident rename Card payments failing"))

    assert "The public sees the new title with the next statement approved" in reply.plain
    assert (await team.incident()).title == "Card payments failing"
    assert await public_view(team) == ("Payments failing", "investigating")

    await ok(team.say("alice", "/incident draft holding"))
    await ok(team.say("carol", "/incident approve S2r1"))
    await team.settle()
    assert await public_view(team) == ("Card payments failing", "investigating")


async def test_only_the_commander_or_comms_may_rename(team: Team) -> None:
    reply = await team.say("mallory", "/incident rename Nothing to see here")

    assert reply.is_error and "Only the commander, the comms owner or an admin" in reply.plain
    assert (await team.incident()).title == "Payments failing"


async def test_reopen_after_a_public_resolution_lets_the_team_speak_again(team: Team) -> None:
    await ok(team.say("alice", "/incident resolve Rolled back"))
    await ok(team.say("carol", "/incident approve S2r1"))  # the resolution goes public
    await team.settle()
    assert await public_view(team) == ("Payments failing", "resolved")
    refused = await team.say("alice", "/incident draft holding")
    assert refused.is_error and "/incident reopen" in refused.plain

    team.clock.advance(minutes=30)
    reply = await ok(team.say("alice", "/incident reopen Errors are back"))

    assert "INC-1 is open again" in reply.plain
    incident = await team.incident()
    assert incident.state == "investigating" and incident.resolved_at is None
    # The public must hear it is back as fast as it heard of it: sev2's first deadline.
    assert incident.next_update_due_at == team.clock.now() + timedelta(minutes=10)
    assert await public_view(team) == ("Payments failing", "resolved")  # not told yet
    await ok(team.say("alice", "/incident draft investigating"))
    await ok(team.say("carol", "/incident approve S3r1"))
    await team.settle()
    assert await public_view(team) == ("Payments failing", "investigating")


async def test_reopen_supersedes_a_resolution_still_waiting_for_approval(team: Team) -> None:
    await ok(team.say("alice", "/incident resolve"))
    await ok(team.say("alice", "/incident reopen"))

    reply = await team.say("carol", "/incident approve S2r1")

    assert reply.is_error and "S2 is already superseded" in reply.plain
    assert await public_view(team) == ("Payments failing", "investigating")


async def test_reopen_of_an_open_incident_is_refused(team: Team) -> None:
    reply = await team.say("alice", "/incident reopen")
    assert reply.is_error and "INC-1 is open (investigating)" in reply.plain

"""Someone hammering a button they may not press is one timeline line with a count, so a
flood of ignored votes or refused commands cannot bloat the timeline or the export."""

from __future__ import annotations

from storage import Store, TimelineEvent
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import Team


async def _events(team: Team, kind: str) -> list[TimelineEvent]:
    incident = await team.incident()
    async with team.store.unit_of_work() as uow:
        return [e for e in await uow.timeline.of_incident(incident.id or 0) if e.kind == kind]


async def test_repeated_ignored_votes_collapse_into_one_counted_line(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = Team.build(store, clock, chat)
    await team.open("alice")
    team.join(team.where["alice"], "mallory", "bob")

    for _ in range(30):
        await team.react("mallory", "S1")
        await team.react("mallory", "S1", added=False)
        clock.advance(seconds=1)
    await team.react("bob", "S1", "x")  # someone else: a line of their own

    ignored = await _events(team, "vote_ignored")
    assert [e.actor_id for e in ignored] == ["mallory", "bob"]
    assert ignored[0].data["count"] == 60
    assert "(×60, last at 12:00 UTC)" in ignored[0].text
    timeline = (await team.say("alice", "/incident timeline")).plain
    assert timeline.count("by mallory ignored") == 1


async def test_repeated_refused_commands_collapse_per_command(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = Team.build(store, clock, chat)
    await team.open("alice")
    team.join(team.where["alice"], "mallory")

    for _ in range(25):
        assert (await team.say("mallory", "/incident resolve")).is_error
    assert (await team.say("mallory", "/incident state identified")).is_error

    refused = await _events(team, "refused")
    assert [(e.data["verb"], e.data.get("count", 1)) for e in refused] == [
        ("resolve", 25),
        ("state", 1),
    ]
    assert (await team.incident()).state == "investigating"

"""Who may run each command, as the team meets it: every verb tried by someone with no
role, the commander, comms, the draft's author and an admin. A refusal is an error
that says who may (and who holds the roles), a "refused" line on the timeline, and
nothing else changed. The expected answers are written out here, not read from
``commands.grammar.verbs.DEFAULT_RULES``, so a wrong default fails this test."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

import pytest

from commands.approval.policy import PolicyError
from commands.authority.rules import AuthorityPolicy, parse_rules
from commands.desk import Desk
from commands.grammar.verbs import VERBS
from commands.ports import Reply
from storage import Store, TimelineEvent
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import Team

# The people: alice opens INC-1 (commander), carol is comms, erin wrote the draft S2,
# mallory is in the channel with no role, dave is an admin (ADMINS=chat:dave).
NOBODY, COMMANDER, COMMS, AUTHOR, ADMIN = "mallory", "alice", "carol", "erin", "dave"
PEOPLE = (NOBODY, COMMANDER, COMMS, AUTHOR, ADMIN)
EVERYONE = frozenset(PEOPLE)
TEAM = frozenset({COMMANDER, COMMS, ADMIN})

# verb → (the line tried, who may run it under the default rules).
TABLE: dict[str, tuple[str, frozenset[str]]] = {
    "open": ("/incident open Search is slow sev3", EVERYONE),
    "status": ("/incident status", EVERYONE),
    "list": ("/incident list", EVERYONE),
    "help": ("/incident help", EVERYONE),
    "assign": ("/incident assign scribe @frank", frozenset({COMMANDER, ADMIN})),
    "unassign": ("/incident unassign comms", frozenset({COMMANDER, ADMIN})),
    "task": ("/incident task @frank 30m Check the replicas", EVERYONE),
    "tasks": ("/incident tasks", EVERYONE),
    "done": ("/incident done 1", EVERYONE),
    "state": ("/incident state identified", TEAM),
    "cadence": ("/incident cadence 15m", TEAM),
    "eta": ("/incident eta 1h", TEAM),
    "snooze": ("/incident snooze 10m", TEAM),
    "rename": ("/incident rename Card payments failing", TEAM),
    "draft": ("/incident draft holding", EVERYONE),
    "edit": ("/incident edit S2 Card payments fail for some of you.", TEAM | {AUTHOR}),
    "approve": ("/incident approve S2r1", TEAM),  # APPROVERS default: commander, comms
    "reject": ("/incident reject S2", TEAM),
    "correct": ("/incident correct S1 Only card payments are affected.", TEAM),
    "resolve": ("/incident resolve Rolled back", TEAM),
    "reopen": ("/incident reopen It is back", TEAM),
    "timeline": ("/incident timeline", EVERYONE),
    "postmortem": ("/incident postmortem", TEAM),
}
AFTER_RESOLVE = {"reopen", "postmortem"}
VOTES = {"approve", "reject"}  # judged vote by vote: the timeline says "vote_ignored"

# Who may, in the words a refusal and `/incident help` use for each kind of verb.
NAMES = {
    EVERYONE: ("anyone",),
    TEAM: ("commander", "comms", "an admin (ADMINS)"),
    frozenset({COMMANDER, ADMIN}): ("commander", "an admin (ADMINS)"),
    TEAM | {AUTHOR}: ("the draft's author", "commander", "comms", "an admin (ADMINS)"),
}
VOTE_NAMES = ("approvers (APPROVERS)", "an admin")

DRAFT = "We are looking into failing payments."


# --- helpers ---------------------------------------------------------------------------


async def ok(pending: Awaitable[Reply | None]) -> Reply:
    reply = await pending
    assert reply is not None and not reply.is_error, reply and reply.plain
    return reply


async def incident_team(store: Store, clock: FakeClock, chat: RecordingChat) -> Team:
    """INC-1 opened by alice, carol comms, the ack S1 published, erin's draft S2, task T1."""
    team = Team.build(store, clock, chat, admins="chat:dave")
    await team.open(COMMANDER)
    team.join(team.where[COMMANDER], *PEOPLE, "frank")
    await ok(team.say(COMMANDER, "/incident assign comms @carol"))
    await ok(team.react(COMMANDER, "S1"))
    await team.settle()
    assert len(team.public_posts()) == 1
    await ok(team.say(COMMANDER, "/incident task @frank 30m Check the replicas"))
    await ok(team.say(AUTHOR, f"/incident draft {DRAFT}"))
    await team.settle()
    return team


async def events(team: Team, kind: str) -> list[TimelineEvent]:
    incident = await team.incident()
    async with team.store.unit_of_work() as uow:
        return [e for e in await uow.timeline.of_incident(incident.id or 0) if e.kind == kind]


async def snapshot(team: Team) -> tuple[dict[str, int], dict[str, Any], list[Any], int]:
    """What a refused command must leave alone: rows (bar the timeline), the incident, its
    statements, and the chat."""
    counts = await team.counts()
    counts.pop("timeline_events")
    incident = await team.incident()
    async with team.store.unit_of_work() as uow:
        statements = [
            (s.number, s.state, s.revision, s.body)
            for s in await uow.statements.of_incident(incident.id or 0)
        ]
    return counts, incident.model_dump(), statements, len(team.chat.sent)


# --- the table -------------------------------------------------------------------------


def test_the_table_covers_every_verb() -> None:
    assert set(TABLE) == set(VERBS)
    for verb, (line, _) in TABLE.items():
        assert line.split()[1] == verb


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("verb", list(TABLE))
async def test_who_may_run_each_command(
    store: Store, clock: FakeClock, chat: RecordingChat, verb: str, who: str
) -> None:
    team = await incident_team(store, clock, chat)
    if verb in AFTER_RESOLVE:
        await ok(team.say(COMMANDER, "/incident resolve Rolled back"))
        await team.settle()
    line, allowed = TABLE[verb]
    before = await snapshot(team)
    refusals = len(await events(team, "vote_ignored" if verb in VOTES else "refused"))

    reply = await team.say(who, line)

    if who in allowed:
        assert not reply.is_error, reply.plain
        return
    assert reply.is_error and reply.ephemeral, reply.plain
    after = await events(team, "vote_ignored" if verb in VOTES else "refused")
    assert len(after) == refusals + 1 and after[-1].actor_id == who
    if verb in VOTES:
        assert "not an approver" in reply.plain and "role:commander, role:comms" in reply.plain
    else:
        first = reply.plain.splitlines()[0]
        assert first.startswith("Only ") and first.endswith(f" may `{verb}` on INC-1."), first
        assert all(name in first for name in NAMES[allowed]), first
        assert "alice" in reply.plain  # who holds a role that may
        if COMMS in allowed:
            assert "carol" in reply.plain
        assert after[-1].data["verb"] == verb
    await team.settle()
    assert await snapshot(team) == before


async def test_a_refusal_is_on_the_timeline_and_changes_nothing(team: Team) -> None:
    await team.open(COMMANDER)
    team.join(team.where[COMMANDER], NOBODY)
    reply = await team.say(NOBODY, "/incident resolve")
    assert reply.is_error and "Ask one of them (commander: alice)." in reply.plain
    assert (await team.incident()).state == "investigating"
    timeline = (await ok(team.say(COMMANDER, "/incident timeline"))).plain
    assert "`resolve` by mallory refused" in timeline


async def test_a_refusal_and_help_name_who_may_in_one_list(team: Team) -> None:
    await team.open(COMMANDER)
    team.join(team.where[COMMANDER], NOBODY)
    reply = await team.say(NOBODY, "/incident resolve")
    helped = (await ok(team.say(NOBODY, "/incident help resolve"))).plain
    [who] = [x for x in helped.splitlines() if x.startswith("Who may: ")]
    first = reply.plain.splitlines()[0]
    for words in (first, who):  # "commander, comms or an admin", never "… or … or …"
        assert words.count(" or ") == 1, words
        assert all(name in words for name in NAMES[TEAM]), words


async def test_a_refusal_sends_people_only_to_someone_who_may(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident_team(store, clock, chat)
    reply = await team.say(NOBODY, "/incident assign scribe @frank")
    assert reply.is_error and "alice" in reply.plain
    assert "carol" not in reply.plain


# --- roles: nobody grants themselves one -----------------------------------------------


@pytest.mark.parametrize(
    ("who", "line"),
    [
        (NOBODY, "/incident assign comms @mallory"),
        (COMMS, "/incident assign commander @carol"),
        (COMMANDER, "/incident assign approver @alice"),  # the commander neither
    ],
)
async def test_nobody_grants_themselves_a_role(
    store: Store, clock: FakeClock, chat: RecordingChat, who: str, line: str
) -> None:
    team = await incident_team(store, clock, chat)
    before = await snapshot(team)

    reply = await team.say(who, line)

    assert reply.is_error and "Nobody grants themselves a role." in reply.plain
    assert "commander or an admin (ADMINS)" in reply.plain  # who to ask instead
    [refusal] = await events(team, "refused")
    assert refusal.actor_id == who
    await team.settle()
    assert await snapshot(team) == before


async def test_an_admin_may_give_themselves_a_role(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident_team(store, clock, chat)
    await ok(team.say(ADMIN, "/incident assign commander @dave"))
    await ok(team.say(ADMIN, "/incident state identified"))
    assert (await team.incident()).state == "identified"


async def test_the_commander_hands_over_command(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident_team(store, clock, chat)
    await ok(team.say(COMMANDER, "/incident assign commander @bob"))
    team.join(team.where[COMMANDER], "bob")

    refused = await team.say(COMMANDER, "/incident state identified")
    assert refused.is_error and "commander: bob" in refused.plain
    assert (await team.incident()).state == "investigating"
    await ok(team.say("bob", "/incident state identified"))
    assert (await team.incident()).state == "identified"
    mine = await team.say(COMMANDER, "/incident assign commander @alice")
    assert mine.is_error and "Nobody grants themselves a role." in mine.plain


# --- help ------------------------------------------------------------------------------


async def test_help_says_who_may_run_each_command(team: Team) -> None:
    reply = await ok(team.say(NOBODY, "/incident help"))
    lines = reply.plain.splitlines()
    for verb, (_, allowed) in TABLE.items():
        [line] = [x for x in lines if x.startswith(VERBS[verb].usage + " ")]
        says = line[line.rindex("[") :]
        for name in VOTE_NAMES if verb in VOTES else NAMES[allowed]:
            assert name in says, line
        if verb not in VOTES and allowed != EVERYONE:
            assert ("draft's author" in says) == (AUTHOR in allowed), line
            assert ("comms" in says) == (COMMS in allowed), line

    one = (await ok(team.say(NOBODY, "/incident help resolve"))).plain
    [who] = [x for x in one.splitlines() if x.startswith("Who may: ")]
    assert all(name in who for name in NAMES[TEAM]), who


# --- a team's own rules (CANDOR_CONFIG [authority]) ------------------------------------


def with_rules(team: Team, table: dict[str, object]) -> Team:
    deps = team.desk.deps
    authority = AuthorityPolicy(rules=parse_rules(table), admins=deps.authority.admins)
    return replace(team, desk=Desk(replace(deps, authority=authority)))


async def test_a_configured_row_changes_who_may(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = with_rules(
        await incident_team(store, clock, chat),
        {"state": ["commander", "comms", "tech-lead"], "task": ["commander"]},
    )
    await ok(team.say(COMMANDER, "/incident assign tech-lead @erin"))

    await ok(team.say(AUTHOR, "/incident state identified"))  # erin, as tech-lead
    assert (await team.incident()).state == "identified"
    task = await team.say(NOBODY, "/incident task @frank 30m Check the cache")
    first = task.plain.splitlines()[0]
    assert task.is_error and "may `task`" in first and "comms" not in first
    await ok(team.say(COMMANDER, "/incident task @frank 30m Check the cache"))
    rename = await team.say(AUTHOR, "/incident rename Cards failing")  # other rows unchanged
    assert rename.is_error
    helped = (await ok(team.say(NOBODY, "/incident help state"))).plain
    [who] = [x for x in helped.splitlines() if x.startswith("Who may: ")]
    assert all(name in who for name in ("commander", "comms", "tech-lead", "admin")), who


@pytest.mark.parametrize(
    "table",
    [
        {"approve": ["anyone"]},  # the approval gate is APPROVERS, not this file
        {"reject": ["comms"]},
        {"launch": ["commander"]},
        {"state": ["author"]},
        {"state": "commander"},
        {"state": []},
    ],
)
def test_a_bad_authority_table_is_refused(table: dict[str, object]) -> None:
    with pytest.raises(PolicyError):
        parse_rules(table)

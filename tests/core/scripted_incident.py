"""One incident with a known timeline on a fake clock, shared by the record and
postmortem tests. Every figure the tests expect is worked out by hand below.

    12:00 alice opens INC-1 (sev2): first update due 12:10; ack S1 promises 12:30
    12:04 alice approves S1 → published (due 12:10: on time); next due 12:30 (promised)
          the flaky webhook fails once (retried later), the refusing one fails for good
    12:04 bruno becomes comms
    12:20 state identified; task T1 for carol (done 12:38)
    12:38 S2 drafted (identified template, promises 13:08)
    12:41 bruno approves S2 → published 11 min late (due 12:30); next due 13:08
    12:45 S3 drafted, 12:46 rejected by bruno (never public)
    12:50 cadence 20 min → due 12:41 + 20 = 13:01
    13:05 S4 drafted (holding, promises 13:25); 13:06 approved → 5 min late; next due 13:25
    13:15 state monitoring
    13:20 resolved ("Rolled back the bad deploy"), resolution S5 drafted
    13:24 bruno approves S5 → published (due 13:25: on time); the public clock stops

First update after 4 min; 4 public updates (S1 S2 S4 S5); longest silence 37 min
(S1 12:04 → S2 12:41); late: S2 by 11 min, S4 by 5 min; approval turnaround S1 4, S2 3,
S4 1, S5 4 min → median 3.5 min, max 4 min; 12 deliveries, 1 retried, 1 failed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from commands.publishing.destinations import ChatChannelDestination
from storage import Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.fakes.destinations import FlakyDestination
from tests.team import PUBLIC, Team


def at(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime(2026, 11, 21, int(hours), int(minutes), tzinfo=UTC)


def build_team(store: Store, clock: FakeClock, chat: RecordingChat) -> Team:
    public = ChatChannelDestination(chat, PUBLIC, f"chat:{PUBLIC}", "#public")
    flaky = FlakyDestination(key="webhook:https://hooks.example.com/x?token=s3cret", failures=1)
    refusing = FlakyDestination(
        key="test:refusing", label="refusing receiver", failures=1, retryable=False
    )
    destinations = {d.key: d for d in (public, flaky, refusing)}
    return Team.build(store, clock, chat, destinations=destinations)


async def ok(team: Team, who: str, line: str) -> None:
    reply = await team.say(who, line)
    assert not reply.is_error, reply.plain


async def approve(team: Team, who: str, statement: str) -> None:
    reply = await team.react(who, statement)
    assert reply is not None and not reply.is_error, reply and reply.plain
    await team.settle()


async def run_until_resolved(team: Team) -> None:
    """12:00 → 13:20: open, three public updates (two late), resolve."""
    await team.open("alice")
    team.join(team.where["alice"], "bruno")
    await team.later(minutes=4)  # 12:04
    await approve(team, "alice", "S1")  # pre-approved ack: its author may approve it
    await ok(team, "alice", "/incident assign comms @bruno")
    await team.later(minutes=16)  # 12:20 (the flaky webhook's retry goes through)
    await ok(team, "alice", "/incident state identified")
    await ok(team, "alice", "/incident task @carol 30m Rotate the replica password")
    await team.later(minutes=18)  # 12:38
    await ok(team, "alice", "/incident done 1")
    await ok(team, "alice", "/incident draft identified")
    await team.later(minutes=3)  # 12:41
    await approve(team, "bruno", "S2")
    await team.later(minutes=4)  # 12:45
    await ok(team, "alice", "/incident draft We think it is the database, maybe")
    await team.later(minutes=1)  # 12:46
    await team.react("bruno", "S3", "x")
    await team.later(minutes=4)  # 12:50
    await ok(team, "alice", "/incident cadence 20m")
    await team.later(minutes=15)  # 13:05
    await ok(team, "alice", "/incident draft holding")
    await team.later(minutes=1)  # 13:06
    await approve(team, "bruno", "S4")
    await team.later(minutes=9)  # 13:15
    await ok(team, "alice", "/incident state monitoring")
    await team.later(minutes=5)  # 13:20
    await ok(team, "alice", "/incident resolve Rolled back the bad deploy")


async def run_scripted_incident(team: Team) -> None:
    """The whole script, to 13:24 when the resolution is public."""
    await run_until_resolved(team)
    await team.later(minutes=4)  # 13:24
    await approve(team, "bruno", "S5")


async def run_late_then_missed(team: Team) -> None:
    """An update that came late, then one that never came (figures by hand):

        12:00 alice opens INC-1 (sev2): first update due 12:10; ack S1 promises 12:30
        12:04 S1 published (on time); next due 12:30
        12:20 state identified
        12:41 S2 drafted and approved (promises 13:11): 11 min late (due 12:30); next due 13:11
        13:20 resolved with nothing since 12:41: the update due 13:11 has not come
        13:24 resolution S3 published, 13 min late (due 13:11): the public clock stops

    First update after 4 min; 3 public updates; longest silence 43 min (S2 12:41 →
    resolution public 13:24); 2 late updates: S2 by 11 min, S3 by 13 min.
    """
    await team.open("alice")
    team.join(team.where["alice"], "bruno")
    await team.later(minutes=4)  # 12:04
    await approve(team, "alice", "S1")
    await ok(team, "alice", "/incident assign comms @bruno")
    await team.later(minutes=16)  # 12:20
    await ok(team, "alice", "/incident state identified")
    await team.later(minutes=21)  # 12:41
    await ok(team, "alice", "/incident draft identified")
    await approve(team, "bruno", "S2")
    await team.later(minutes=39)  # 13:20
    await ok(team, "alice", "/incident resolve Rolled back the bad deploy")
    await team.later(minutes=4)  # 13:24
    await approve(team, "bruno", "S3")


async def run_missed_only(team: Team) -> None:
    """Every update that came was on time, but one never came (figures by hand):

        12:00 alice opens INC-1 (sev2): first update due 12:10; ack S1 promises 12:30
        12:04 S1 published (on time); next due 12:30
        12:20 state identified
        12:25 S2 drafted and approved (promises 12:55): on time; next due 12:55
        13:20 resolved with nothing since 12:25: the update due 12:55 has not come
        13:24 resolution S3 published, 29 min late (due 12:55): the public clock stops

    First update after 4 min; 3 public updates; longest silence 59 min (S2 12:25 →
    resolution public 13:24); 1 late update: S3 by 29 min.
    """
    await team.open("alice")
    team.join(team.where["alice"], "bruno")
    await team.later(minutes=4)  # 12:04
    await approve(team, "alice", "S1")
    await ok(team, "alice", "/incident assign comms @bruno")
    await team.later(minutes=16)  # 12:20
    await ok(team, "alice", "/incident state identified")
    await team.later(minutes=5)  # 12:25
    await ok(team, "alice", "/incident draft identified")
    await approve(team, "bruno", "S2")
    await team.later(minutes=55)  # 13:20
    await ok(team, "alice", "/incident resolve Rolled back the bad deploy")
    await team.later(minutes=4)  # 13:24
    await approve(team, "bruno", "S3")

"""The reminder ladders, driven by the fake clock (no sleeping): who is told what, and
when, as the public-update deadline, a task's due time or a promised fix time nears
and passes; what stops them; and that each rung fires once, after downtime or a restart.

The incident opens at 12:00 (sev2): the first public update is due at 12:10, then
every 30 minutes. alice opens it and is commander; carol is comms when assigned.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest

from storage import Statement, Store, TimelineEvent
from tests.fakes.chat import RecordingChat, Sent
from tests.fakes.clock import FakeClock
from tests.team import Team

START = datetime.fromisoformat("2026-11-21T12:00:00+00:00")
REMINDER_MARKS = ("⏰", "⚠️", "🚨", "⏳")
NO_PROMISE = "We are still working on the payment failures. Please retry failed payments later."


def at(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return START.replace(hour=hours, minute=minutes)


async def ok(pending: object) -> None:
    reply = await pending  # type: ignore[misc]
    assert reply is not None and not reply.is_error, reply and reply.plain


async def opened(team: Team, *, comms: str | None = "carol", severity: str = "sev2") -> str:
    """alice opens INC-1 at 12:00; everyone is in its channel; returns the channel."""
    assert team.clock.now() == START
    await team.open("alice", f"/incident open Payments failing {severity}")
    channel = team.where["alice"]
    team.join(channel, "bob", "carol", "dan")
    if comms:
        await ok(team.say("alice", f"/incident assign comms @{comms}"))
    return channel


def reminders_in(sent: list[Sent], channel: str) -> list[Sent]:
    return [s for s in sent if s.channel_id == channel and s.text.startswith(REMINDER_MARKS)]


async def walk(team: Team, until: str, *, about: str = "") -> dict[str, list[Sent]]:
    """Move the clock a minute at a time to ``until``, running due work each minute as
    the timer would; the reminders posted (whose text mentions ``about``), by HH:MM."""
    channel, fired = team.where["alice"], {}
    while team.clock.now() < at(until):
        mark = len(team.chat.sent)
        await team.later(minutes=1)
        new = [s for s in reminders_in(team.chat.sent[mark:], channel) if about in s.text]
        if new:
            fired[f"{team.clock.now():%H:%M}"] = new
    return fired


async def jump(team: Team, **delta: float) -> list[Sent]:
    """Move the clock in one step (downtime), then let due work run once."""
    mark = len(team.chat.sent)
    await team.later(**delta)
    return reminders_in(team.chat.sent[mark:], team.where["alice"])


async def reminder_events(team: Team) -> list[TimelineEvent]:
    incident = await team.incident()
    async with team.store.unit_of_work() as uow:
        events = await uow.timeline.of_incident(incident.id or 0)
    return [e for e in events if e.kind == "reminder"]


async def timeline(team: Team) -> str:
    return (await team.say("alice", "/incident timeline")).plain


def only(fired: dict[str, list[Sent]]) -> dict[str, Sent]:
    """One reminder per minute at most: the ladder never says two things at once."""
    assert all(len(messages) == 1 for messages in fired.values()), fired
    return {when: messages[0] for when, messages in fired.items()}


# --- the public-update ladder ------------------------------------------------------------


@pytest.mark.parametrize(("comms", "owner"), [("carol", "carol"), (None, "alice")])
async def test_update_ladder(team: Team, comms: str | None, owner: str) -> None:
    await opened(team, comms=comms)
    assert team.timer.requested[-1] == at("12:05")  # the timer is asked for the first rung

    fired = only(await walk(team, "13:10"))

    assert list(fired) == ["12:05", "12:10", "12:15", "12:25", "12:40", "12:55", "13:10"]
    nudge, due_now, commander, *channel = fired.values()
    assert nudge.mentions() == [owner] and not nudge.pings_channel()
    assert "next public update for INC-1 is due at 12:10 UTC (in 5 min)" in nudge.text
    assert due_now.mentions() == [owner] and "is due now" in due_now.text
    assert commander.mentions() == ["alice", owner] and not commander.pings_channel()
    assert "5 min overdue" in commander.text and "heard nothing at all yet" in commander.text
    for message, late in zip(channel, ("15 min", "30 min", "45 min", "1 h"), strict=True):
        assert message.pings_channel() and message.mentions() == []
        assert f"public update is {late} overdue" in message.text
    assert team.timer.requested[-1] == at("13:25")  # and the timer for the next one

    events = await reminder_events(team)
    assert [e.text for e in events] == [
        "Reminder: update due soon",
        "Reminder: update due now",
        "Reminder: update overdue: commander told",
    ] + ["Reminder: update overdue: channel told"] * 4
    assert [e.at for e in events] == [at(t) for t in fired]
    assert "Reminder: update overdue: channel told" in await timeline(team)


async def test_the_timer_is_always_asked_for_the_next_rung(team: Team) -> None:
    await opened(team)
    expected = {"12:05": "12:10", "12:10": "12:15", "12:15": "12:25", "12:25": "12:40"}
    for now, following in expected.items():
        await walk(team, now)
        assert team.timer.requested[-1] == at(following), now


async def test_commander_escalation_reaches_the_current_commander(team: Team) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident assign commander @bob"))

    fired = only(await walk(team, "12:15"))

    assert fired["12:15"].mentions() == ["bob", "carol"]


# --- publishing resets the clock ------------------------------------------------------------


async def test_publishing_stops_the_ladder_and_rearms_from_the_promised_time(team: Team) -> None:
    await opened(team)
    assert list(await walk(team, "12:07")) == ["12:05"]
    ack = team.chat.draft_message("S1").text
    assert "Next update by 12:30 UTC" in ack  # drafted at 12:00, 30-minute cadence

    await ok(team.react("alice", "S1"))  # the commander approves the pre-approved ack
    await team.settle()
    assert len(team.public_posts()) == 1

    incident = await team.incident()
    assert incident.last_public_update_at == at("12:07")
    assert incident.next_update_due_at == at("12:30")  # the promise, before 12:07 + 30 min
    assert team.timer.requested[-1] == at("12:25")
    fired = only(await walk(team, "12:44"))
    assert list(fired) == ["12:25", "12:30", "12:35"]  # nothing left of the 12:10 ladder
    assert "due at 12:30 UTC" in fired["12:25"].text
    assert "heard nothing since 12:07 UTC" in fired["12:35"].text


@pytest.mark.parametrize(
    ("body", "due", "nudge"),
    [
        pytest.param(NO_PROMISE, "12:42", "12:37", id="no promise: published + cadence"),
        pytest.param(
            NO_PROMISE + " Next update by 12:25 UTC.", "12:25", "12:20", id="earlier promise"
        ),
        pytest.param(
            NO_PROMISE + " Next update by 14:00 UTC.", "12:42", "12:37", id="later promise"
        ),
        pytest.param(
            NO_PROMISE + " Next update in 20 minutes.", "12:32", "12:27", id="promise in minutes"
        ),
    ],
)
async def test_next_update_is_due_at_the_earlier_of_cadence_and_promise(
    team: Team, body: str, due: str, nudge: str
) -> None:
    await opened(team)
    await walk(team, "12:12")  # the first deadline has passed: the ladder is climbing
    await ok(team.say("carol", f"/incident draft {body}"))
    await team.settle()
    await ok(team.react("alice", "S2"))
    await team.settle()
    assert len(team.public_posts()) == 1

    assert (await team.incident()).next_update_due_at == at(due)
    fired = only(await walk(team, due))
    assert list(fired) == [nudge, due]
    assert f"due at {due} UTC" in fired[nudge].text


async def test_a_statement_still_waiting_for_approval_does_not_stop_the_ladder(
    team: Team,
) -> None:
    await opened(team)
    await ok(team.say("carol", f"/incident draft {NO_PROMISE}"))

    fired = only(await walk(team, "12:25"))

    assert list(fired) == ["12:05", "12:10", "12:15", "12:25"]


# --- what pauses or stops reminders ----------------------------------------------------------


async def test_snooze_suppresses_update_reminders_until_it_ends(team: Team) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident snooze 30m"))
    await ok(team.say("alice", "/incident task @dan 20m Check the replicas"))

    during = await walk(team, "12:29")
    assert not any("public update" in s.text for sent in during.values() for s in sent)
    assert list(during) == ["12:05", "12:20", "12:25"]  # task reminders are not snoozed
    assert all("T1" in sent[0].text for sent in during.values())

    after = only(await walk(team, "12:40", about="public update"))
    assert list(after) == ["12:30", "12:40"]  # back on the ladder where it now stands
    assert after["12:30"].pings_channel() and "20 min overdue" in after["12:30"].text
    assert "Update reminders snoozed until 12:30 UTC" in await timeline(team)


async def test_resolve_stops_task_and_eta_reminders_and_publishing_it_stops_the_clock(
    team: Team,
) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident task @dan 30m Check the replicas"))
    await ok(team.say("alice", "/incident eta 45m"))
    await walk(team, "12:06")

    await ok(team.say("alice", "/incident resolve Rolled back"))

    # Until the public hears it is over, the update is still owed, and chased.
    fired = await walk(team, "12:20")
    texts = [sent.text for batch in fired.values() for sent in batch]
    assert texts and all("T1" not in t and "ETA" not in t for t in texts), texts
    assert any("INC-1" in t and "update" in t for t in texts), texts

    await ok(team.say("carol", "/incident approve S2r1"))  # the resolution goes public
    await team.settle()
    events = len(await reminder_events(team))
    requested = len(team.timer.requested)
    assert await walk(team, "15:00") == {}
    assert len(await reminder_events(team)) == events
    assert len(team.timer.requested) == requested  # nothing left to wake up for
    async with team.store.unit_of_work() as uow:
        assert await uow.reminders.due(at("23:59")) == []


async def test_two_people_resolving_at_once_resolve_once(team: Team) -> None:
    await opened(team)
    await asyncio.gather(*(team.say("alice", "/incident status") for _ in range(3)))

    replies = await asyncio.gather(
        team.say("alice", "/incident resolve"), team.say("carol", "/incident resolve")
    )

    assert sorted(r.is_error for r in replies) == [False, True]
    assert await team.count(Statement) == 2  # the ack and one resolution draft


# --- tasks ---------------------------------------------------------------------------------


async def test_task_reminders_go_to_the_owner_then_the_commander(team: Team) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident task @dan 30m Check the replicas"))

    fired = only(await walk(team, "14:00", about="T1"))

    assert list(fired) == ["12:15", "12:30", "12:35"]  # and never again
    soon, due, overdue = fired.values()
    assert soon.mentions() == ["dan"] and "“Check the replicas” is due at 12:30 UTC" in soon.text
    assert due.mentions() == ["dan"] and "is due now" in due.text
    assert "/incident done 1" in due.text
    assert overdue.mentions() == ["alice", "dan"] and "5 min overdue" in overdue.text
    texts = [e.text for e in await reminder_events(team)]
    for what in ("task due soon", "task due now", "task overdue: commander told"):
        assert texts.count(f"Reminder: {what}") == 1


async def test_a_task_due_soon_skips_the_early_nudge(team: Team) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident task @dan 10m Page the DBA"))

    fired = only(await walk(team, "12:30", about="T1"))

    assert list(fired) == ["12:10", "12:15"]


@pytest.mark.parametrize("done_at", ["12:05", "12:16", "12:31"])
async def test_done_stops_task_reminders(team: Team, done_at: str) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident task @dan 30m Check the replicas"))
    before = await walk(team, done_at, about="T1")

    await ok(team.say("dan", "/incident done 1"))

    assert await walk(team, "14:00", about="T1") == {}
    expected = [t for t in ("12:15", "12:30", "12:35") if at(t) <= at(done_at)]
    assert list(before) == expected


# --- the promised fix time (ETA) --------------------------------------------------------------


async def test_eta_warns_before_the_promised_fix_time_passes(team: Team) -> None:
    await opened(team)
    reply = await team.say("alice", "/incident eta 13:00")
    assert "warn 15 min before" in reply.plain

    fired = only(await walk(team, "14:00", about="fix time"))

    assert list(fired) == ["12:45", "13:00"]
    warning, passed = fired.values()
    assert warning.mentions() == ["carol"]
    assert "(13:00 UTC) passes in 15 min" in warning.text
    assert passed.mentions() == ["carol"] and "has passed" in passed.text
    assert "Reminder: ETA warning" in await timeline(team)


async def test_moving_or_clearing_the_eta_moves_or_stops_the_warning(team: Team) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident eta 13:00"))
    await walk(team, "12:40")
    await ok(team.say("alice", "/incident eta 14:00"))

    assert list(await walk(team, "13:50", about="fix time")) == ["13:45"]

    await ok(team.say("alice", "/incident eta clear"))
    assert await walk(team, "15:00", about="fix time") == {}


# --- downtime and restarts ------------------------------------------------------------------------


async def test_after_downtime_only_the_latest_rung_fires(team: Team) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident task @dan 30m Check the replicas"))
    await ok(team.say("alice", "/incident eta 40m"))

    fired = await jump(team, hours=1)  # 13:00: every rung of every ladder has passed

    assert len(fired) == 3, [s.text for s in fired]
    [update] = [s for s in fired if "public update" in s.text]
    assert update.pings_channel() and "50 min overdue" in update.text
    [task] = [s for s in fired if "T1" in s.text]
    assert task.mentions() == ["alice", "dan"] and "30 min overdue" in task.text
    [eta] = [s for s in fired if "fix time" in s.text]
    assert "has passed" in eta.text
    assert len(await reminder_events(team)) == 3

    assert team.timer.requested[-1] == at("13:10")
    later = await jump(team, minutes=10)  # and the ladder goes on from there
    assert len(later) == 1 and "1 h overdue" in later[0].text


async def test_after_a_short_gap_the_rung_for_now_fires(team: Team) -> None:
    await opened(team)

    fired = await jump(team, minutes=17)

    [commander] = fired
    assert commander.mentions() == ["alice", "carol"] and "7 min overdue" in commander.text


@pytest.mark.parametrize("together", [False, True], ids=["one after the other", "concurrently"])
async def test_a_restarted_desk_fires_an_overdue_reminder_once(
    team: Team, store: Store, clock: FakeClock, chat: RecordingChat, together: bool
) -> None:
    await opened(team)
    assert team.timer.requested[-1] == at("12:05")
    clock.advance(minutes=20)  # the process was down from 12:00 to 12:20

    restarted = Team.build(store, clock, chat)  # a second process on the same database
    await restarted.desk.start()
    assert restarted.timer.requested == [at("12:05")]  # overdue: the timer fires at once

    mark = len(chat.sent)
    if together:
        await asyncio.gather(restarted.desk.settle(), team.desk.settle())
    else:
        await restarted.desk.settle()
        await team.desk.settle()

    [commander] = reminders_in(chat.sent[mark:], team.where["alice"])
    assert commander.mentions() == ["alice", "carol"] and "10 min overdue" in commander.text
    assert len(await reminder_events(team)) == 1
    # A desk that lost the race may have read the rung before the winner committed and
    # asked to wake at 12:05, i.e. at once; that wake finds nothing due and re-arms.
    await restarted.desk.settle()
    assert restarted.timer.requested[-1] == at("12:25")
    assert len(await reminder_events(team)) == 1

    clock.advance(minutes=5)  # both desks wake for the next rung: still once
    mark = len(chat.sent)
    await asyncio.gather(restarted.desk.settle(), team.desk.settle())
    [channel] = reminders_in(chat.sent[mark:], team.where["alice"])
    assert channel.pings_channel()
    assert len(await reminder_events(team)) == 2


async def test_many_desks_racing_fire_each_rung_once(
    team: Team, store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident task @dan 30m Check the replicas"))
    desks = [team.desk] + [Team.build(store, clock, chat).desk for _ in range(3)]
    await asyncio.gather(*(desk.start() for desk in desks))

    fired: list[str] = []
    for _ in range(12):  # 12:00 → 13:00 in 5-minute steps, every desk waking each time
        clock.advance(minutes=5)
        mark = len(chat.sent)
        await asyncio.gather(*(desk.settle() for desk in desks))
        fired += [
            f"{clock.now():%H:%M} {s.text[:12]}"
            for s in reminders_in(chat.sent[mark:], team.where["alice"])
        ]

    times = [entry[:5] for entry in fired]
    assert times == sorted(times)
    assert len(fired) == len(set(fired)) == len(await reminder_events(team))
    # update: 12:05 12:10 12:15 12:25 12:40 12:55; task: 12:15 12:30 12:35
    assert len(fired) == 9


async def test_restart_keeps_task_and_eta_reminders(
    team: Team, store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    await opened(team)
    await ok(team.say("alice", "/incident task @dan 30m Check the replicas"))
    await ok(team.say("alice", "/incident eta 13:00"))
    await walk(team, "12:20")
    clock.advance(minutes=30)  # down from 12:20 to 12:50

    restarted = Team.build(store, clock, chat)
    await restarted.desk.start()
    assert restarted.timer.requested[-1] <= clock.now()
    mark = len(chat.sent)
    await restarted.desk.settle()

    fired = reminders_in(chat.sent[mark:], team.where["alice"])
    assert any("T1" in s.text and "20 min overdue" in s.text for s in fired)
    assert any("passes in 10 min" in s.text for s in fired)
    async with store.unit_of_work() as uow:
        pending = await uow.reminders.due(at("23:59"))
    assert {r.kind for r in pending} == {"update", "eta"}  # the task ladder is finished


async def test_rungs_firing_while_people_type_commands(
    team: Team, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The timer and the team at the same moment on the same incident: nobody is told
    "Something went wrong" and no rung is lost (on PostgreSQL both take row locks)."""
    await opened(team)
    await asyncio.gather(*(team.say("alice", "/incident status") for _ in range(4)))
    caplog.set_level(logging.ERROR)
    for number in range(1, 9):
        await ok(team.say("alice", f"/incident task @dan 20m Check replica {number}"))
        clock.advance(minutes=6)  # this task's first rung, and the update ladder, are due
        commands = (f"/incident done {number}", "/incident eta 50m", "/incident cadence 15m")
        results = await asyncio.gather(
            team.desk.settle(), *(team.say("alice", line) for line in commands)
        )
        replies = results[1:]  # the first is run_due's count of work done
        assert not any(r.is_error for r in replies), [r.plain for r in replies]
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    await team.settle()
    async with team.store.unit_of_work() as uow:
        assert await uow.reminders.due(clock.now()) == []  # nothing left behind, overdue


async def test_a_cadence_change_that_makes_the_update_overdue_is_said_at_once(team: Team) -> None:
    await team.open("alice", "/incident open Search slow sev3")  # cadence 60 min
    await team.react("alice", "S1")
    await team.settle()
    channel = team.where["alice"]
    await team.later(minutes=25)
    before = len(team.chat.in_channel(channel))
    await ok(team.say("alice", "/incident cadence 20m"))  # due 5 min ago now
    await team.settle()
    said = [s.text for s in team.chat.in_channel(channel)[before:]]
    assert any("public update for INC-1 is 5 min overdue" in t for t in said), said


async def test_taking_back_a_reaction_you_never_counted_says_so(team: Team) -> None:
    await team.open("alice")
    reply = await team.react("alice", "S1", added=False)
    assert reply is not None and "no approve on S1 to withdraw" in reply.plain


async def test_a_follow_up_task_on_a_resolved_incident_says_it_will_not_be_chased(
    team: Team,
) -> None:
    await team.open("alice")
    await ok(team.say("alice", "/incident resolve"))
    reply = await team.say("alice", "/incident task @dan 1h Write the postmortem")
    assert not reply.is_error and "resolved: no reminders" in reply.plain
    listing = await team.say("alice", "/incident tasks")
    assert "Write the postmortem" in listing.plain

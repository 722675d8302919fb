"""The communication record of a scripted incident equals the figures worked out by hand
(tests/core/scripted_incident.py), in the record itself and in `/incident status`."""

from __future__ import annotations

from datetime import timedelta

from commands.record.communication import CommunicationRecord, LateUpdate, StateChange
from commands.record.due_windows import DueWindow, Overdue
from commands.record.loading import load_record
from storage import Store
from tests.core.scripted_incident import at, build_team, ok, run_scripted_incident
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import Team

MIN = timedelta(minutes=1)


async def _record(team: Team) -> CommunicationRecord:
    incident = await team.incident()
    async with team.store.reading() as uow:
        return await load_record(uow, incident, team.clock.now())


async def test_every_figure_matches_the_hand_computed_timeline(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = build_team(store, clock, chat)
    await run_scripted_incident(team)
    record = await _record(team)
    public = record.public

    assert public.first_update_after == 4 * MIN
    assert public.update_count == 4
    assert [u.number for u in public.updates] == [1, 2, 4, 5]  # S3 was rejected
    assert [u.published_at for u in public.updates] == [
        at("12:04"),
        at("12:41"),
        at("13:06"),
        at("13:24"),
    ]
    silence = public.longest_silence
    assert silence is not None
    assert (silence.length, silence.after, silence.until) == (37 * MIN, "S1", "S2")
    assert [(u.number, u.due_at, u.late_by) for u in public.late_updates] == [
        (2, at("12:30"), 11 * MIN),
        (4, at("13:01"), 5 * MIN),
    ]
    # The public clock ran until the public heard of the resolution (S5 at 13:24).
    assert [u.due_at for u in public.updates] == [
        at("12:10"),
        at("12:30"),
        at("13:01"),
        at("13:25"),
    ]
    assert public.overdue == (
        Overdue(at("12:30"), at("12:41"), at("12:30"), "S2"),
        Overdue(at("13:01"), at("13:06"), at("13:01"), "S4"),
    )
    assert public.overdue_now is None
    assert public.due_windows == (
        DueWindow(at("12:00"), at("12:04"), at("12:10"), "S1"),
        DueWindow(at("12:04"), at("12:41"), at("12:30"), "S2"),
        DueWindow(at("12:41"), at("12:50"), at("13:08"), "new due time"),
        DueWindow(at("12:50"), at("13:06"), at("13:01"), "S4"),
        DueWindow(at("13:06"), at("13:24"), at("13:25"), "S5"),
    )
    # The public heard only what statements said: S2 said identified, S4 (approved before
    # the team moved to monitoring) still identified, S5 resolved.
    assert public.states == (
        StateChange(at("12:00"), "investigating"),
        StateChange(at("12:41"), "identified"),
        StateChange(at("13:24"), "resolved"),
    )
    assert record.states == (
        StateChange(at("12:00"), "investigating"),
        StateChange(at("12:20"), "identified"),
        StateChange(at("13:15"), "monitoring"),
        StateChange(at("13:20"), "resolved"),
    )
    assert [(a.number, a.took) for a in record.approvals] == [
        (1, 4 * MIN),
        (2, 3 * MIN),
        (4, 1 * MIN),
        (5, 4 * MIN),
    ]
    assert record.approval_median == timedelta(minutes=3.5)
    assert record.approval_max == 4 * MIN
    assert (record.deliveries, record.deliveries_retried, record.deliveries_failed) == (12, 1, 1)
    troubled = {(t.number, t.destination, t.state, t.attempts) for t in record.troubled}
    assert troubled == {
        (1, "webhook:https://hooks.example.com/x?token=s3cret", "sent", 2),
        (1, "test:refusing", "failed", 1),
    }


async def test_status_shows_the_same_figures(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = build_team(store, clock, chat)
    await run_scripted_incident(team)
    status = (await team.say("alice", "/incident status")).plain
    assert "Communication record: first public update 4 min after open" in status
    assert "4 public updates" in status
    assert "longest silence 37 min (S1 12:04 UTC → S2 12:41 UTC)" in status
    assert "2 late updates: S2 came 11 min late; S4 came 5 min late" in status
    assert "approval took 3 min 30 s median, 4 min at most (4 statements)" in status
    assert "deliveries: 12 deliveries, 1 retried, 1 failed" in status


async def test_an_open_incident_past_due_is_overdue_now_and_silent_until_now(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = build_team(store, clock, chat)
    await team.open("alice")
    await team.later(minutes=25)  # nothing published; first update was due at 12:10
    record = await _record(team)
    public = record.public
    assert public.first_update_after is None and public.update_count == 0
    assert public.overdue_now == 15 * MIN
    assert public.overdue == (Overdue(at("12:10"), at("12:25"), at("12:10"), "now"),)
    assert public.late_updates == (LateUpdate(at("12:10"), at("12:25"), "now", None),)
    silence = public.longest_silence
    assert silence is not None and (silence.after, silence.until) == ("open", "now")
    assert silence.length == 25 * MIN
    status = (await team.say("alice", "/incident status")).plain
    assert "no public update yet" in status
    assert "The public update is overdue by 15 min." in status


async def test_a_cadence_change_counts_from_the_last_publication(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = build_team(store, clock, chat)
    await team.open("alice")
    await team.react("alice", "S1")  # published 12:00; the ack promised 12:30
    await team.settle()
    await team.later(minutes=50)  # 12:50: 20 min overdue
    await ok(team, "alice", "/incident cadence 2h")  # due moves to 14:00: no longer overdue
    record = await _record(team)
    assert record.public.overdue == (
        Overdue(at("12:30"), at("12:50"), at("12:30"), "new due time"),
    )
    assert record.public.overdue_now is None
    # The update due 12:30 never came: a late update, though none was published late.
    assert record.public.late_updates == (
        LateUpdate(at("12:30"), at("12:50"), "new due time", None),
    )
    assert [u.late_by for u in record.public.updates] == [None]
    await team.later(minutes=10)
    assert (await _record(team)).public.due_windows == (
        DueWindow(at("12:00"), at("12:50"), at("12:30"), "new due time"),
        DueWindow(at("12:50"), at("13:00"), at("14:00"), "now"),
    )

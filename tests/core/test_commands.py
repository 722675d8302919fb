"""Every command as the team sees it, through the Desk: what it replies, what appears
in the chat, what the database keeps, and that a refused command changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from commands.grammar.verbs import VERBS
from commands.ports import MessageRef, Reply
from tests.fakes.chat import Sent
from tests.team import FEED, Team

START = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # the FakeClock's start


# --- helpers -------------------------------------------------------------------


async def summary_of(team: Team, number: int = 1) -> Sent:
    """The pinned summary message of an incident, as it reads now."""
    incident = await team.incident(number)
    [summary] = [s for s in team.chat.sent if s.message_id == incident.summary_message_id]
    return summary


def texts_after(team: Team, channel: str, mark: int) -> list[str]:
    return [s.text for s in team.chat.sent[mark:] if s.channel_id == channel]


async def refused(team: Team, who: str, line: str, *fragments: str) -> Reply:
    """``line`` is refused: an ephemeral error that says why, and nothing changed."""
    rows = await team.counts()
    sent, channels = len(team.chat.sent), len(team.chat.channels)
    edits = sum(len(s.edits) for s in team.chat.sent)
    reply = await team.say(who, line)
    assert reply.is_error, reply.plain
    assert reply.ephemeral, reply.plain
    for fragment in fragments:
        assert fragment in reply.plain
    assert await team.counts() == rows
    assert len(team.chat.sent) == sent
    assert len(team.chat.channels) == channels
    assert sum(len(s.edits) for s in team.chat.sent) == edits
    return reply


async def ok(team: Team, who: str, line: str) -> Reply:
    reply = await team.say(who, line)
    assert not reply.is_error, reply.plain
    return reply


async def publish_ack(team: Team) -> None:
    """alice (commander) approves the acknowledgement S1 and it goes public."""
    await team.react("alice", "S1")
    await team.settle()
    assert (await team.incident()).last_public_update_at == team.clock.now()


# --- open ----------------------------------------------------------------------


async def test_open_sets_up_the_channel_summary_feed_and_ack_draft(team: Team) -> None:
    reply = await team.open("alice", "/incident open Payments failing sev2")

    assert "Opened INC-1 · Payments failing (SEV2) in #inc-1-payments-failing." in reply.plain
    assert "First public update due by 12:10 UTC (in 10 min)" in reply.plain
    assert "acknowledgement draft (S1)" in reply.plain

    channel = team.where["alice"]
    assert team.chat.channels[channel]["name"] == "inc-1-payments-failing"
    assert team.chat.channels[channel]["topic"].startswith("SEV2 · investigating")
    assert any(c == channel and "alice" in who for c, who in team.chat.invites)

    summary = await summary_of(team)
    assert summary.channel_id == channel
    assert MessageRef(channel, summary.message_id) in team.chat.pins
    assert summary.current.title == "INC-1 · Payments failing"
    assert "Commander: @alice" in summary.text
    assert "Comms: unassigned" in summary.text
    assert "Next public update: 12:10 UTC (in 10 min)" in summary.text

    [announcement] = team.chat.in_channel(FEED)
    assert "🚨 INC-1 · Payments failing (SEV2) opened by @alice" in announcement.text
    assert "join #inc-1-payments-failing" in announcement.text
    assert announcement.mentions() == ["alice"]

    ack = team.chat.draft_message("S1")
    assert ack.channel_id == channel
    assert ack.current.title == "S1 · ack draft for INC-1 (revision 1)"
    assert "We are aware of an issue affecting Payments failing" in ack.text
    ref = MessageRef(channel, ack.message_id)
    assert (ref, "white_check_mark") in team.chat.reactions
    assert (ref, "x") in team.chat.reactions
    assert team.public_posts() == []  # nothing public until someone approves

    incident = await team.incident()
    assert (incident.severity, incident.state, incident.opened_by) == (
        "sev2",
        "investigating",
        "alice",
    )
    assert incident.opened_at == START
    rows = await team.counts()
    assert (rows["incidents"], rows["statements"], rows["role_assignments"]) == (1, 1, 1)


@pytest.mark.parametrize(
    ("severity", "first_minutes"), [("sev1", 10), ("sev2", 10), ("sev3", 30), ("sev4", 30)]
)
async def test_first_public_update_is_due_by_severity(
    team: Team, severity: str, first_minutes: int
) -> None:
    reply = await team.open("alice", f"/incident open Search is slow {severity}")
    due = START + timedelta(minutes=first_minutes)
    assert f"due by {due:%H:%M} UTC (in {first_minutes} min)" in reply.plain
    assert (await team.incident()).next_update_due_at == due

    channel = team.where["alice"]
    await team.later(minutes=first_minutes - 6)
    assert not any("is due at" in t for t in team.chat.texts(channel))
    await team.later(minutes=1)  # 5 minutes before the deadline: the comms owner is nudged
    assert any(f"INC-1 is due at {due:%H:%M} UTC" in t for t in team.chat.texts(channel))


def _legal(name: str) -> bool:
    return (
        len(name) <= 80
        and re.fullmatch(r"[a-z0-9-]+", name) is not None
        and not name.endswith("-")
        and "--" not in name
    )


LONG_TITLE = ("Payments " * 30)[:200]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Payments failing", "inc-1-payments-failing"),
        ("Café crème — ÉCHEC des paiements", "inc-1-cafe-creme-echec-des-paiements"),
        ("決済が失敗しています", "inc-1"),
        ("🔥🔥 Checkout down 🔥", "inc-1-checkout-down"),
        ("---Weird___Title!!! (EU/US)", "inc-1-weird-title-eu-us"),
        (LONG_TITLE, None),
    ],
)
async def test_channel_name_is_legal_for_any_title(
    team: Team, title: str, expected: str | None
) -> None:
    assert len(LONG_TITLE) == 200
    reply = await team.open("alice", f"/incident open {title} sev3")
    channel = team.where["alice"]
    name = str(team.chat.channels[channel]["name"])
    assert _legal(name), name
    assert name.startswith("inc-1")
    if expected is not None:
        assert name == expected
    else:
        assert len(name) == 80
        assert name.startswith("inc-1-payments-payments-")
    assert f"#{name}" in reply.plain
    incident = await team.incident()
    assert incident.title == title  # the title itself keeps every character
    assert incident.channel_name == name


async def test_incident_numbers_increment(team: Team) -> None:
    first = await team.open("alice", "/incident open Payments failing")
    second = await team.open("bob", "/incident open Login broken sev1")
    assert "Opened INC-1" in first.plain
    assert "Opened INC-2 · Login broken (SEV1) in #inc-2-login-broken" in second.plain
    assert team.where["alice"] != team.where["bob"]
    assert (await team.incident(2)).title == "Login broken"
    assert len(team.chat.in_channel(FEED)) == 2


async def test_open_when_the_chat_refuses_to_create_the_channel(team: Team) -> None:
    team.chat.fail_create = True
    reply = await refused(
        team, "alice", "/incident open Payments failing sev1", "Nothing was changed", "try again"
    )
    assert "create_channel refused" in reply.plain  # the platform's reason, not a riddle
    assert "Traceback" not in reply.plain and "ChatDown" not in reply.plain
    assert (await team.counts())["incidents"] == 0
    assert team.chat.channels == {}

    team.chat.fail_create = False  # it works on the retry, and no number was used up
    retry = await team.open("alice", "/incident open Payments failing sev1")
    assert "Opened INC-1 " in retry.plain


# --- status, list, help --------------------------------------------------------


async def test_status_shows_owners_clock_and_drafts(team: Team) -> None:
    await team.open("alice")
    await ok(team, "alice", "/incident assign comms @dana")
    reply = await ok(team, "alice", "/incident status")
    assert reply.ephemeral
    assert reply.message.title == "INC-1 · Payments failing"
    assert "Severity: SEV2" in reply.plain
    assert "Commander: @alice" in reply.plain
    assert "Comms: @dana" in reply.plain
    assert "Next public update: 12:10 UTC (in 10 min)" in reply.plain
    assert "📝 S1 ack — draft" in reply.plain

    await team.later(minutes=11)
    late = await ok(team, "alice", "/incident status")
    assert "⚠️ OVERDUE — 12:10 UTC (overdue by 1 min)" in late.plain


async def test_status_from_anywhere_with_an_incident_number(team: Team) -> None:
    await team.open("alice")
    reply = await ok(team, "bob", "/incident INC-1 status")  # bob is in #general
    assert reply.message.title == "INC-1 · Payments failing"


async def test_list_shows_open_incidents_only(team: Team) -> None:
    empty = await ok(team, "carol", "/incident list")
    assert empty.ephemeral
    assert "No open incidents" in empty.plain

    await team.open("alice", "/incident open Payments failing sev1")
    await team.open("bob", "/incident open Login broken sev3")
    await ok(team, "bob", "/incident resolve")
    reply = await ok(team, "carol", "/incident list")
    assert reply.message.title == "Open incidents (1)"
    assert "INC-1 SEV1 investigating — Payments failing · #inc-1-payments-failing" in reply.plain
    assert "INC-2" not in reply.plain

    await team.later(minutes=11)
    assert "⚠️ update overdue" in (await ok(team, "carol", "/incident list")).plain


async def test_help_lists_every_command_and_one_commands_usage(team: Team) -> None:
    reply = await ok(team, "carol", "/incident help")  # works outside any incident
    assert reply.ephemeral
    for verb in VERBS.values():
        assert verb.usage in reply.plain
    one = await ok(team, "carol", "/incident help task")
    assert one.plain.splitlines()[0] == "/incident task <@user> <due> <title>"
    assert "/incident open" not in one.plain


# --- assign --------------------------------------------------------------------


async def test_assign_comms_invites_announces_and_updates_the_summary(team: Team) -> None:
    await team.open("alice")
    channel = team.where["alice"]
    reply = await ok(team, "alice", "/incident assign comms <@U777|dana>")
    assert reply.plain == "U777 is now comms."
    assert (channel, ("U777",)) in team.chat.invites
    assert "Comms: @U777" in (await summary_of(team)).text
    assert any(
        "@U777 is now comms for INC-1 (assigned by @alice)." in t for t in team.chat.texts(channel)
    )


async def test_assign_commander_replaces_the_opener(team: Team) -> None:
    await team.open("alice")
    await ok(team, "alice", "/incident assign commander @bob")
    summary = (await summary_of(team)).text
    assert "Commander: @bob" in summary and "@alice" not in summary
    timeline = (await ok(team, "alice", "/incident timeline")).plain
    assert "commander: bob (was alice)" in timeline


async def test_assign_any_role_word(team: Team) -> None:
    await team.open("alice")
    await ok(team, "alice", "/incident assign scribe <@!123456789012345678>")
    await ok(team, "alice", "/incident assign tech-lead @erin")
    summary = (await summary_of(team)).text
    assert "Scribe: @123456789012345678" in summary
    assert "Tech-lead: @erin" in summary
    channel = team.where["alice"]
    assert (channel, ("123456789012345678",)) in team.chat.invites
    assert (channel, ("erin",)) in team.chat.invites


# --- task, tasks, done ---------------------------------------------------------


async def test_task_is_announced_to_its_owner_and_reminded(team: Team) -> None:
    await team.open("alice")
    channel = team.where["alice"]
    reply = await ok(team, "alice", "/incident task @dana 30m Check the replicas")
    assert reply.plain == "T1 added."
    assert (channel, ("dana",)) in team.chat.invites
    [announcement] = [t for t in team.chat.texts(channel) if t.startswith("📋")]
    assert announcement == "📋 T1 Check the replicas — @dana, due 12:30 UTC (in 30 min)."
    assert "Open tasks: 1" in (await summary_of(team)).text

    await team.later(minutes=15)
    assert any(
        "@dana task T1 “Check the replicas” is due at 12:30" in t for t in team.chat.texts(channel)
    )


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("30m", START + timedelta(minutes=30)),
        ("2h", START + timedelta(hours=2)),
        ("1h30m", START + timedelta(minutes=90)),
        ("1d", START + timedelta(days=1)),
        ("14:00", datetime(2026, 11, 21, 14, 0, tzinfo=UTC)),
        ("11:00", datetime(2026, 11, 22, 11, 0, tzinfo=UTC)),  # passed today: tomorrow
        ("2026-11-23T09:15Z", datetime(2026, 11, 23, 9, 15, tzinfo=UTC)),
        ("2026-11-21T15:00+01:00", datetime(2026, 11, 21, 14, 0, tzinfo=UTC)),
    ],
)
async def test_task_due_forms(team: Team, due: str, expected: datetime) -> None:
    await team.open("alice")
    await ok(team, "alice", f"/incident task @dana {due} Call the bank")
    tasks = (await ok(team, "alice", "/incident tasks")).plain
    label = (
        f"{expected:%H:%M} UTC"
        if expected.date() == START.date()
        else f"{expected:%a %d %b %H:%M} UTC"
    )
    assert f"T1 Call the bank — @dana · due {label}" in tasks


async def test_tasks_lists_late_ones_first_then_open_then_done(team: Team) -> None:
    await team.open("alice")
    empty = await ok(team, "alice", "/incident tasks")
    assert "No tasks yet" in empty.plain
    await ok(team, "alice", "/incident task @dana 2h Write the timeline")
    await ok(team, "alice", "/incident task @erin 10m Check the replicas")
    await ok(team, "alice", "/incident task @bob 30m Call the bank")
    done = await ok(team, "bob", "/incident INC-1 done 3")
    assert done.plain == "T3 “Call the bank” is done. ✅"

    await team.later(minutes=15)
    reply = await ok(team, "alice", "/incident tasks")
    assert reply.ephemeral
    lines = reply.plain.splitlines()
    assert lines[0] == "Tasks of INC-1"
    assert lines[1] == "T2 Check the replicas — @erin · ⚠️ overdue by 5 min"
    assert lines[2].startswith("T1 Write the timeline — @dana · due 14:00 UTC")
    assert lines[3] == "T3 Call the bank — @bob · done ✅"


async def test_done_stops_the_task_reminders(team: Team) -> None:
    await team.open("alice")
    channel = team.where["alice"]
    await ok(team, "alice", "/incident task @dana 30m Check the replicas")
    await ok(team, "dana", "/incident INC-1 done T1")
    mark = len(team.chat.sent)
    await team.later(minutes=40)
    assert not any("T1" in t for t in texts_after(team, channel, mark))
    assert "Open tasks" not in (await summary_of(team)).text


# --- state ---------------------------------------------------------------------


async def test_state_moves_the_incident_on(team: Team) -> None:
    await team.open("alice")
    channel = team.where["alice"]
    reply = await ok(team, "alice", "/incident state identified")
    assert reply.ephemeral
    assert reply.plain == (
        "INC-1 is now identified. Tell the public: `/incident draft identified`."
    )
    assert (await team.incident()).state == "identified"
    assert "State is now identified (was investigating), set by @alice." in team.chat.texts(channel)
    assert "🛠️ identified" in (await summary_of(team)).text
    assert team.chat.channels[channel]["topic"].startswith("SEV2 · identified")


# --- cadence, eta, snooze ------------------------------------------------------


async def test_cadence_before_the_first_update_keeps_the_first_deadline(team: Team) -> None:
    await team.open("alice", "/incident open Payments failing sev3")  # first update at 12:30
    reply = await ok(team, "alice", "/incident cadence 15m")
    assert reply.plain == "Public updates every 15 min. Next update due 12:30 UTC (in 30 min)."
    incident = await team.incident()
    assert incident.cadence_minutes == 15
    assert incident.next_update_due_at == START + timedelta(minutes=30)


async def test_cadence_counts_from_the_last_public_update(team: Team) -> None:
    await team.open("alice")
    await publish_ack(team)  # published at 12:00
    await team.later(minutes=5)

    reply = await ok(team, "alice", "/incident cadence 15m")
    assert "Next update due 12:15 UTC (in 10 min)" in reply.plain
    assert (await team.incident()).next_update_due_at == START + timedelta(minutes=15)

    reply = await ok(team, "alice", "/incident cadence 1h30m")
    assert "Public updates every 1 h 30 min. Next update due 13:30 UTC" in reply.plain
    assert (await team.incident()).next_update_due_at == START + timedelta(minutes=90)
    assert "Next public update: 13:30 UTC" in (await summary_of(team)).text


async def test_eta_set_warns_before_it_passes_and_clear_forgets_it(team: Team) -> None:
    await team.open("alice")
    channel = team.where["alice"]
    reply = await ok(team, "alice", "/incident eta 14:00")
    assert reply.plain == "ETA set to 14:00 UTC. I'll warn 15 min before it passes."
    assert (await team.incident()).eta_at == datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
    assert "Promised fix (ETA): 14:00 UTC" in (await summary_of(team)).text

    await team.later(minutes=105)  # 13:45
    assert any(
        "promised to the public (14:00 UTC) passes in 15 min" in t for t in team.chat.texts(channel)
    )

    await ok(team, "alice", "/incident eta 2h")  # moved to 15:45
    cleared = await ok(team, "alice", "/incident eta clear")
    assert cleared.plain == "ETA cleared."
    assert (await team.incident()).eta_at is None
    assert "Promised fix" not in (await summary_of(team)).text
    mark = len(team.chat.sent)
    await team.later(hours=3)
    assert not any("⏳" in t for t in texts_after(team, channel, mark))


async def test_snooze_holds_update_reminders_but_not_the_clock(team: Team) -> None:
    await team.open("alice")  # first update due 12:10, nudge at 12:05
    channel = team.where["alice"]
    reply = await ok(team, "alice", "/incident snooze 20m")
    assert reply.plain.startswith("Update reminders snoozed until 12:20 UTC.")
    assert "The public clock keeps running" in reply.plain
    assert (await team.incident()).snoozed_until == START + timedelta(minutes=20)

    await team.later(minutes=12)
    assert not any("⏰" in t or "⚠️" in t for t in team.chat.texts(channel))
    assert "OVERDUE" in (await ok(team, "alice", "/incident status")).plain

    await team.later(minutes=9)  # 12:21: the snooze is over and the reminders resume
    assert any("INC-1" in t and "overdue" in t for t in team.chat.texts(channel))


# --- draft, edit, approve, reject ----------------------------------------------


async def test_draft_from_a_template(team: Team) -> None:
    await team.open("alice")
    channel = team.where["alice"]
    reply = await ok(team, "alice", "/incident draft holding")
    assert reply.ephemeral
    assert reply.plain == (
        "S2 drafted for INC-1: approvers react ✅ on it in #inc-1-payments-failing."
    )
    draft = team.chat.draft_message("S2")
    assert draft.channel_id == channel
    assert draft.current.title == "S2 · update draft for INC-1 (revision 1)"
    assert "We are still working on the issue affecting Payments failing" in draft.text
    assert "Checklist" in draft.text
    assert "✅ gives the next update time" in draft.text
    ref = MessageRef(channel, draft.message_id)
    assert (ref, "white_check_mark") in team.chat.reactions and (ref, "x") in team.chat.reactions


async def test_draft_free_text_shows_the_checklist(team: Team) -> None:
    await team.open("alice")
    await ok(team, "alice", "/incident draft Something is off with payments.")
    draft = team.chat.draft_message("S2").text
    assert draft.startswith(
        "S2 · update draft for INC-1 (revision 1)\nSomething is off with payments."
    )
    assert "⚠️ acknowledges impact" in draft  # "off" is not an impact word
    assert "⚠️ tells users what to do" in draft
    assert "⚠️ gives the next update time" in draft
    assert "✅ no secrets" in draft

    await ok(
        team,
        "alice",
        "/incident draft Payments are failing for some of you.\n"
        "Please try again later. Next update by 13:00 UTC.",
    )
    good = team.chat.draft_message("S3").text
    assert "Payments are failing for some of you.\nPlease try again later." in good
    for check in ("acknowledges impact", "tells users what to do", "gives the next update time"):
        assert f"✅ {check}" in good


async def test_draft_with_a_secret_is_blocked(team: Team) -> None:
    await team.open("alice")
    await ok(
        team,
        "alice",
        "/incident draft Payments are failing. password: hunter2hunter2 Next update by 13:00.",
    )
    draft = team.chat.draft_message("S2").text
    assert "⛔ no secrets — looks like a password or key" in draft

    vote = await team.say("alice", "/incident approve S2")
    assert vote.is_error and vote.ephemeral
    assert "S2 cannot be approved" in vote.plain and "/incident edit S2" in vote.plain
    await team.settle()
    assert team.public_posts() == []


async def test_edit_makes_a_new_revision_that_needs_fresh_approval(team: Team) -> None:
    await team.open("alice")
    await ok(team, "alice", "/incident assign comms @dana")
    team.join(team.where["alice"], "dana")
    await ok(team, "alice", "/incident draft We are looking into failed payments.")
    first = team.chat.draft_message("S2")

    reply = await ok(
        team, "dana", "/incident edit S2 Payments are failing. Next update by 13:00 UTC."
    )
    assert reply.plain == "S2 is now at revision 2; it needs fresh approval."
    second = team.chat.draft_message("S2")
    assert second.message_id != first.message_id
    assert second.current.title == "S2 · update draft for INC-1 (revision 2)"
    assert "Payments are failing. Next update by 13:00 UTC." in second.text
    assert first.current.title == "S2 · superseded"
    assert "Votes here no longer count" in first.text
    rows = await team.counts()
    assert rows["statement_revisions"] == 3  # S1, S2 r1, S2 r2

    stale = await team.react("alice", "S2", message=first)
    assert stale is not None and stale.is_error
    assert "that was revision 1; S2 is now at revision 2" in stale.plain


async def test_approve_and_reject_fallbacks(team: Team) -> None:
    await team.open("alice")
    channel = team.where["alice"]
    await ok(team, "alice", "/incident draft We are aware payments fail. Next update by 13:00.")

    reply = await ok(team, "alice", "/incident reject s2")
    assert reply.plain == "Your vote was counted."
    assert any("❌ S2 rejected by @alice" in t for t in team.chat.texts(channel))

    reply = await ok(team, "alice", "/incident approve 1")  # the pre-approved ack
    assert reply.plain == "Your vote was counted."
    assert any(
        "✅ S1 approved by @alice — publishing to #public." in t for t in team.chat.texts(channel)
    )
    await team.settle()
    [public] = team.public_posts()
    assert "We are aware of an issue affecting Payments failing" in public.text
    incident = await team.incident()
    assert incident.id is not None
    async with team.store.unit_of_work() as uow:
        states = {s.number: s.state for s in await uow.statements.of_incident(incident.id)}
    assert states == {1: "published", 2: "rejected"}


async def test_approve_by_someone_who_is_not_an_approver_does_not_count(team: Team) -> None:
    await team.open("alice")
    reply = await team.say("bob", "/incident INC-1 approve S1")
    assert reply.is_error and reply.ephemeral
    assert "not counted: you are not an approver" in reply.plain
    await team.settle()
    assert team.public_posts() == []
    assert "approve of S1 by bob ignored" in (await ok(team, "alice", "/incident timeline")).plain


# --- resolve, timeline ---------------------------------------------------------


async def test_resolve_stops_the_clock_and_drafts_the_resolution(team: Team) -> None:
    await team.open("alice")
    channel = team.where["alice"]
    await ok(team, "alice", "/incident task @dana 30m Check the replicas")
    await ok(team, "alice", "/incident eta 1h")
    await team.later(minutes=2)

    reply = await ok(team, "alice", "/incident resolve Rolled back the deploy")
    assert reply.ephemeral
    assert reply.plain == ("INC-1 resolved. The resolution statement S2 is waiting for approval.")
    incident = await team.incident()
    assert incident.state == "resolved"
    assert incident.resolved_at == START + timedelta(minutes=2)
    assert incident.resolution_summary == "Rolled back the deploy"
    # The public has not been told yet: its clock runs on until the resolution is out.
    assert incident.next_update_due_at == START + timedelta(minutes=10)

    draft = team.chat.draft_message("S2")
    assert draft.current.title == "S2 · resolution draft for INC-1 (revision 1)"
    assert "The issue affecting Payments failing is resolved" in draft.text
    assert "Rolled back the deploy. You don't need to do anything." in draft.text
    assert any(
        "✅ INC-1 resolved by @alice. Approve S2 to tell the public it is over" in t
        for t in team.chat.texts(channel)
    )
    summary = (await summary_of(team)).text
    assert "the resolution is not public yet" in summary and "✅ resolved" in summary

    mark = len(team.chat.sent)
    await team.later(hours=3)  # no task or ETA reminder; the public update is still owed
    later = texts_after(team, channel, mark)
    assert not any("T1" in t or "ETA" in t for t in later), later
    assert any("update" in t.lower() for t in later), later

    await ok(team, "alice", "/incident assign comms @dana")
    await ok(team, "dana", "/incident INC-1 approve S2r1")  # the resolution goes public
    await team.settle()
    incident = await team.incident()
    assert incident.next_update_due_at is None
    assert "clock stopped (resolved)" in (await summary_of(team)).text
    mark = len(team.chat.sent)
    await team.later(hours=3)
    assert texts_after(team, channel, mark) == []


async def test_resolve_without_a_summary(team: Team) -> None:
    await team.open("alice")
    await ok(team, "alice", "/incident resolve")
    incident = await team.incident()
    assert incident.state == "resolved" and incident.resolution_summary is None
    body = team.chat.draft_message("S2").text
    assert "caused. You don't need to do anything." in body
    timeline = (await ok(team, "alice", "/incident timeline")).plain
    assert timeline.splitlines()[-1].endswith("S2 drafted (resolution, template resolved) by alice")


async def test_timeline_lists_events_in_order(team: Team) -> None:
    await team.open("alice")
    await team.later(minutes=1)
    await ok(team, "alice", "/incident assign comms @dana")
    team.join(team.where["alice"], "dana")
    await team.later(minutes=1)
    await ok(team, "alice", "/incident task @erin 30m Check the replicas")
    await team.later(minutes=1)
    await ok(team, "alice", "/incident state identified")
    await team.later(minutes=1)
    await ok(team, "dana", "/incident draft identified")
    await team.later(minutes=1)
    await ok(team, "alice", "/incident resolve Fixed")

    reply = await ok(team, "bob", "/incident INC-1 timeline")
    assert reply.ephemeral
    assert reply.message.title == "Timeline of INC-1"
    expected = [
        "12:00 UTC  INC-1 opened: Payments failing (sev2)",
        "12:00 UTC  S1 drafted (ack, template ack) by alice",
        "12:01 UTC  comms: dana",
        "12:02 UTC  T1 “Check the replicas” for erin, due 12:32 UTC",
        "12:03 UTC  State: investigating → identified",
        "12:04 UTC  S2 drafted (update, template identified) by dana",
        "12:05 UTC  Resolved: Fixed",
        "12:05 UTC  S3 drafted (resolution, template resolved) by alice",
    ]
    lines = reply.plain.splitlines()[1:]
    positions = [next(i for i, line in enumerate(lines) if line == want) for want in expected]
    assert positions == sorted(positions)
    times = [line[:5] for line in lines]
    assert times == sorted(times)


# --- refusals: an ephemeral error that says how to fix it, and nothing written --

NEEDS_INCIDENT = [
    "/incident status",
    "/incident assign comms @dana",
    "/incident unassign comms",
    "/incident task @dana 30m Check the replicas",
    "/incident tasks",
    "/incident done 1",
    "/incident state identified",
    "/incident cadence 15m",
    "/incident eta 14:00",
    "/incident snooze 10m",
    "/incident draft holding",
    "/incident edit S1 New words",
    "/incident approve S1",
    "/incident reject S1",
    "/incident correct S1 New words",
    "/incident resolve",
    "/incident reopen",
    "/incident rename Card payments failing",
    "/incident timeline",
    "/incident postmortem",
]


def test_every_incident_verb_is_in_the_refusal_tables() -> None:
    verbs = {line.split()[1] for line in NEEDS_INCIDENT}
    assert verbs == set(VERBS) - {"open", "list", "help"}


@pytest.mark.parametrize("line", NEEDS_INCIDENT)
async def test_outside_an_incident_channel(team: Team, line: str) -> None:
    await team.open("alice")
    await refused(team, "bob", line, "This is not an incident channel.", "`/incident INC-4 status`")


@pytest.mark.parametrize("line", NEEDS_INCIDENT)
async def test_unknown_incident_number(team: Team, line: str) -> None:
    await team.open("alice")
    named = line.replace("/incident ", "/incident INC-99 ", 1)
    await refused(team, "alice", named, "There is no INC-99 here.", "`/incident list`")


BAD_INPUT = [
    ("/incident open", "/incident open Payments failing sev1"),
    ("/incident open " + "x" * 201, "keep it to 200"),
    ("/incident status now", "Usage: /incident status"),
    ("/incident list all", "Usage: /incident list"),
    ("/incident help me", "Try `/incident help`"),
    ("/incident assign comms", "/incident assign comms @dana"),
    ("/incident assign comms dana", "mention them like @dana"),
    ("/incident task @dana soon Check", "a UTC time like 14:00"),
    ("/incident task dana 30m Check", "Usage: /incident task <@user> <due> <title>"),
    ("/incident tasks 1", "Usage: /incident tasks"),
    ("/incident done first", "/incident done 2"),
    ("/incident state fixed", "investigating, identified, monitoring"),
    ("/incident state resolved", "/incident resolve [summary]"),
    ("/incident cadence 1m", "every 5 minutes to 24 hours"),
    ("/incident eta soon", "or `clear`"),
    ("/incident snooze 2d", "1 minute to 24 hours"),
    ("/incident draft", "use a template: ack, holding"),
    ("/incident edit S1", "Usage: /incident edit <S-number> <text>"),
    ("/incident approve", "Name the statement, e.g. S2"),
    ("/incident reject first", "Usage: /incident reject <S-number>"),
    ("/incident correct S1", "Usage: /incident correct <S-number> <text>"),
    ("/incident resolve " + "r" * 3001, "Usage: /incident resolve [summary]"),
    ("/incident timeline now", "Usage: /incident timeline"),
    ("/incident postmortem please", "Usage: /incident postmortem"),
    ("/incident resovle", "Did you mean `resolve`?"),
    ("/incident unassign", "Usage: /incident unassign <role>"),
    ("/incident rename", "Give the new title"),
    ("/incident reopen " + "r" * 301, "Keep the reason to 300 characters"),
]


def test_every_verb_has_bad_input_below() -> None:
    assert {line.split()[1] for line, _ in BAD_INPUT} >= set(VERBS)


@pytest.mark.parametrize(("line", "fix"), BAD_INPUT, ids=[line[:35] for line, _ in BAD_INPUT])
async def test_bad_input_for_every_verb(team: Team, line: str, fix: str) -> None:
    await team.open("alice")
    await refused(team, "alice", line, fix)


async def test_task_due_in_the_past(team: Team) -> None:
    await team.open("alice")
    await refused(
        team,
        "alice",
        "/incident task @dana 2026-11-21T11:00Z Check the replicas",
        "That due time has already passed.",
        "Give a time in the future, e.g. 30m or 14:00.",
    )


async def test_done_of_an_unknown_task_and_done_twice(team: Team) -> None:
    await team.open("alice")
    await refused(team, "alice", "/incident done 7", "INC-1 has no task T7.", "/incident tasks")
    await ok(team, "alice", "/incident task @dana 30m Check the replicas")
    await ok(team, "dana", "/incident INC-1 done 1")
    await refused(team, "alice", "/incident done 1", "T1 is already done.")


async def test_assign_the_same_person_twice(team: Team) -> None:
    await team.open("alice")
    await ok(team, "alice", "/incident assign comms @dana")
    await refused(team, "alice", "/incident assign communications @dana", "already is comms")
    await refused(team, "alice", "/incident assign commander @alice", "already is commander")


async def test_a_mention_too_long_to_be_a_user_id(team: Team) -> None:
    """Ids are stored in 64 characters; a longer one is a typo to fix, not a crash."""
    await team.open("alice")
    await refused(team, "alice", "/incident assign comms @" + "d" * 65, "mention them like @dana")
    await refused(
        team, "alice", "/incident task @" + "d" * 65 + " 30m Check", "mention them like @dana"
    )
    await ok(team, "alice", "/incident assign comms @" + "d" * 64)
    assert f"Comms: @{'d' * 64}" in (await summary_of(team)).text


async def test_state_it_already_has(team: Team) -> None:
    await team.open("alice")
    await refused(team, "alice", "/incident state investigating", "INC-1 is already investigating.")


async def test_eta_in_the_past(team: Team) -> None:
    await team.open("alice")
    await refused(
        team,
        "alice",
        "/incident eta 2026-11-21T09:00Z",
        "That time has already passed.",
        "Give a future time.",
    )


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        ("/incident state identified", ("INC-1 is resolved.", "/incident open <title>")),
        ("/incident resolve Again", ("INC-1 is resolved.", "/incident open <title>")),
        ("/incident cadence 15m", ("INC-1 is resolved; its clock stopped.",)),
        ("/incident eta 2h", ("INC-1 is resolved; its clock stopped.",)),
        ("/incident eta clear", ("INC-1 is resolved; its clock stopped.",)),
        ("/incident snooze 10m", ("INC-1 is resolved; its clock stopped.",)),
    ],
)
async def test_commands_on_a_resolved_incident(
    team: Team, line: str, fragments: tuple[str, ...]
) -> None:
    await team.open("alice")
    await ok(team, "alice", "/incident resolve Rolled back")
    await refused(team, "alice", line, *fragments)


async def test_approve_or_reject_an_unknown_statement(team: Team) -> None:
    await team.open("alice")
    for line in ("/incident approve S9", "/incident reject 9"):
        await refused(team, "alice", line, "INC-1 has no statement S9.", "`/incident status`")


async def test_edit_unknown_unchanged_or_published_statement(team: Team) -> None:
    await team.open("alice")
    await refused(team, "alice", "/incident edit S9 New words", "INC-1 has no statement S9.")
    await ok(team, "alice", "/incident draft We are aware payments fail.")
    await refused(
        team,
        "alice",
        "/incident edit S2 We are aware payments fail.",
        "That is already the text of S2.",
    )
    await publish_ack(team)
    await refused(
        team,
        "alice",
        "/incident edit S1 Different words now.",
        "S1 is published; it can no longer change.",
        "Draft a new statement",
    )


# --- redelivered events ---------------------------------------------------------


async def test_a_redelivered_command_has_no_second_effect(team: Team) -> None:
    await team.open("alice")
    channel = team.where["alice"]
    line = "/incident task @dana 30m Check the replicas"
    first = await team.say("alice", line, event_key="slack:Ev1")
    assert first.plain == "T1 added."
    rows, sent = await team.counts(), len(team.chat.sent)

    again = await team.say("alice", line, event_key="slack:Ev1")
    assert again.is_error and again.ephemeral
    assert "already handled" in again.plain
    assert await team.counts() == rows
    assert len(team.chat.sent) == sent
    assert sum(t.startswith("📋 T1") for t in team.chat.texts(channel)) == 1

    other = await team.say("alice", line, event_key="slack:Ev2")  # a new event is new work
    assert other.plain == "T2 added."


async def test_a_redelivered_open_opens_one_incident(team: Team) -> None:
    line = "/incident open Payments failing sev1"
    first = await team.say("alice", line, event_key="slack:Ev9")
    assert "Opened INC-1" in first.plain
    rows = await team.counts()
    again = await team.say("alice", line, event_key="slack:Ev9")
    assert again.is_error
    assert await team.counts() == rows
    assert len(team.chat.channels) == 1
    assert len(team.chat.in_channel(FEED)) == 1


async def test_a_redelivered_reaction_is_one_vote(team: Team) -> None:
    await team.open("alice", "/incident open Payments failing sev1")
    await team.react("alice", "S1", event_key="slack:React1")
    rows = await team.counts()
    again = await team.react("alice", "S1", event_key="slack:React1")
    assert again is not None and again.is_error
    assert await team.counts() == rows
    await team.settle()
    assert len(team.public_posts()) == 1

"""`/incident postmortem`: a post-incident summary drafted from the incident's own record,
approved and published like any statement once the team has filled in what only people
know."""

from __future__ import annotations

import re

from commands.approval.checklist import placeholders_in
from commands.record.loading import load_record
from storage import Store
from tests.core.scripted_incident import build_team, ok, run_scripted_incident
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import Team

NEVER_IN_THE_DRAFT = (
    "alice",
    "bruno",
    "carol",
    "Rotate the replica password",  # task titles are the team's business
    "We think it is the database",  # a rejected draft
    "inc-1-payments-failing",
    "hooks.example.com",
    "s3cret",
)


def _draft_body(chat: RecordingChat, ref: str) -> str:
    first_line = chat.draft_message(ref).message.lines[0]
    assert isinstance(first_line[0], str)
    return first_line[0]


async def _drafted(store: Store, clock: FakeClock, chat: RecordingChat) -> Team:
    team = build_team(store, clock, chat)
    await run_scripted_incident(team)
    await team.later(minutes=30)  # 13:54
    reply = await team.say("alice", "/incident postmortem")
    assert not reply.is_error, reply.plain
    assert "S6 is the post-incident summary draft for INC-1" in reply.plain
    return team


async def test_the_draft_has_five_sections_filled_from_the_record(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await _drafted(store, clock, chat)
    body = _draft_body(chat, "S6")
    headings = [
        "What happened and when",
        "Why it happened",
        "How we fixed it",
        "How we will prevent it",
        "How we will make it up to you",
        "How we kept you informed",
    ]
    positions = [body.index(f"\n\n{heading}\n") for heading in headings]
    assert positions == sorted(positions)
    # What happened and when: the span and the key moments, from the timeline.
    assert "On 21 Nov 2026, from 12:00 to 13:20 (1 h 20 min), we had an incident" in body
    for moment in (
        "- 12:00 We opened an incident and started investigating.",
        "- 12:04 We posted our first public update.",
        "- 12:20 We found the cause and started on a fix.",
        "- 13:15 A fix was in place; we watched to make sure it held.",
        "- 13:20 Resolved: everything was working normally again.",
    ):
        assert moment in body
    # How we fixed it: the resolution summary, timings, roles and tasks (no names).
    assert "Rolled back the bad deploy." in body
    assert "We found the cause 20 min after we opened the incident" in body
    assert "(an incident commander, a communications lead) and worked through 1 task" in body
    # The statements published and where, and the communication record.
    assert "- 12:04 S1 Investigating, #public, webhooks\n" in body
    assert (
        "- 12:41 S2 Update, #public, webhooks, refusing receiver (11 min after it was due)" in body
    )
    assert "- 13:24 S5 Resolved, #public, webhooks, refusing receiver\n" in body
    assert "Our first public update came 4 min after we opened the incident" in body
    assert "We published 4 updates" in body
    assert "The longest time without news was 37 min (12:04 to 12:41)." in body
    assert "We had 2 late updates: S2 came 11 min late; S4 came 5 min late." in body
    assert "Every update came by the time it was due" not in body
    assert "typically within 3 min 30 s (4 min at most)" in body
    assert "Of 12 deliveries, 1 needed a retry and 1 failed." in body
    # Why, prevention, make-good and a contact: only people know.
    assert placeholders_in(body) == 4
    for secret in NEVER_IN_THE_DRAFT:
        assert secret not in body, secret
    async with team.store.reading() as uow:
        incident = await team.incident()
        assert incident.id is not None
        statement = await uow.statements.by_number(incident.id, 6)
    assert statement is not None and statement.kind == "postmortem"


async def test_the_team_gets_the_record_behind_the_draft(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await _drafted(store, clock, chat)
    notes = chat.texts(team.where["alice"])[-1]
    assert notes.startswith("📋 The record behind S6 (for the team; not published)")
    assert "commander: alice" in notes and "comms: bruno (12:04 UTC" in notes
    assert "T1 “Rotate the replica password” — carol, due 12:50 UTC, done 12:38 UTC" in notes
    assert "S3 update by alice: rejected" in notes
    assert "S1 ack by alice: published 12:04 UTC → #public, flaky receiver" in notes
    assert "refusing receiver (failed)" in notes
    assert "longest silence 37 min" in notes
    assert "S1 to refusing receiver: failed after 1 attempt (receiver answered 503)" in notes
    assert not any(s.pings_channel() or s.mentions() for s in chat.sent[-1:])


async def test_placeholders_block_approval_until_the_team_fills_them(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await _drafted(store, clock, chat)
    refused = await team.react("bruno", "S6")
    assert refused is not None and refused.is_error
    assert "no placeholders left: 4 “[FILL IN …]” left to replace" in refused.plain
    assert "⛔ no placeholders left" in chat.draft_message("S6").text

    filled = re.sub(
        r"\[FILL IN: ([^\]]*)\]",
        lambda m: "support@example.com" if "address" in m.group(1) else "Done and dated.",
        _draft_body(chat, "S6"),
    )
    await ok(team, "alice", f"/incident edit S6 {filled}")
    assert "✅ no placeholders left" in chat.draft_message("S6").text
    await team.react("bruno", "S6")
    await team.settle()

    published = team.public_posts()[-1]
    assert published.current.title == "Post-incident summary: Payments failing"
    assert "please contact us at support@example.com" in published.text
    async with team.store.reading() as uow:
        record = await load_record(uow, await team.incident(), clock.now())
    assert record.public.update_count == 4  # the summary is not an update
    assert len(record.approvals) == 4


async def test_an_open_incident_gets_no_postmortem_and_nothing_is_written(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = build_team(store, clock, chat)
    await team.open("alice")
    before = await team.counts()
    reply = await team.say("alice", "/incident postmortem")
    assert reply.is_error
    assert "INC-1 is still investigating" in reply.plain
    assert "Resolve it first: `/incident resolve [summary]`, then `/incident postmortem`." in (
        reply.plain
    )
    assert await team.counts() == before


async def test_one_postmortem_at_a_time_and_a_rejected_one_can_be_redrafted(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await _drafted(store, clock, chat)
    again = await team.say("alice", "/incident postmortem")
    assert again.is_error
    assert "INC-1 already has a post-incident summary: S6 (draft)." in again.plain
    assert "/incident edit S6" in again.plain
    await team.react("bruno", "S6", "x")
    fresh = await team.say("alice", "/incident postmortem")
    assert not fresh.is_error and "S7 is the post-incident summary draft" in fresh.plain


async def test_help_and_the_parser_know_the_verb(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = build_team(store, clock, chat)
    help_text = (await team.say("alice", "/incident help")).plain
    assert "/incident postmortem" in help_text
    assert "draft the post-incident summary" in help_text
    wrong = await team.say("alice", "/incident postmortem now please")
    assert wrong.is_error and "`postmortem` takes no arguments." in wrong.plain

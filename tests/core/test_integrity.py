"""The reproductions of the issue "Only approved words reach the public", each as the team
would try it through the Desk: every one now fails to publish, or shows the truth.

(8) — the hub, its JSON and the feeds agreeing with the record — is covered by
tests/hub/test_record_agreement.py. (10) — a webhook destination's ``?token=abc123``
redacted in `/incident status`, listings and exports — is covered by
tests/bot/test_redaction.py::test_status_listing_and_export_show_no_credentials.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from datetime import UTC, datetime

from bot.hub import record
from commands.ports import Actor, Reply
from storage import Statement, Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import hub_bot
from tests.team import Team

NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # the FakeClock's start
APPROVERS = "chat:bob,role:commander,role:comms"  # bob approves by name, holding no role
TEXT = "Card payments are failing for some of you. Please retry in a few minutes."
EDITED = "Card payments are failing for everyone. Please use another method for now."


# --- helpers ---------------------------------------------------------------------------


async def ok(pending: Awaitable[Reply | None]) -> Reply:
    reply = await pending
    assert reply is not None and not reply.is_error, reply and reply.plain
    return reply


async def refused(pending: Awaitable[Reply | None], *fragments: str) -> Reply:
    reply = await pending
    assert reply is not None and reply.is_error, reply and reply.plain
    for fragment in fragments:
        assert fragment in reply.plain, reply.plain
    return reply


async def incident(
    store: Store,
    clock: FakeClock,
    chat: RecordingChat,
    severity: str = "sev2",
    *,
    comms: str | None = "carol",
    approvers: str | None = APPROVERS,
    admins: str = "chat:dave",
) -> Team:
    """INC-1 opened by alice (commander), everyone in its channel but mallory."""
    team = Team.build(store, clock, chat, approvers=approvers, admins=admins)
    await team.open("alice", f"/incident open Payments failing {severity}")
    team.join(team.where["alice"], "bob", "carol", "erin")
    if comms:
        await ok(team.say("alice", f"/incident assign comms @{comms}"))
    return team


async def statement(team: Team, number: int) -> Statement:
    found_incident = await team.incident()
    async with team.store.unit_of_work() as uow:
        found = await uow.statements.by_number(found_incident.id or 0, number)
    assert found is not None
    return found


async def publish(team: Team, ref: str, approver: str = "alice") -> None:
    await ok(team.react(approver, ref))
    await team.settle()
    assert (await statement(team, int(ref[1:]))).state == "published"


# --- (1) a stranger cannot make herself comms and push words out ------------------------


async def test_a_stranger_cannot_make_herself_comms_edit_or_approve(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat, comms=None, approvers=None)  # mallory: #general

    await refused(
        team.say("mallory", "/incident INC-1 assign comms @mallory"),
        "Nobody grants themselves a role.",
    )
    await refused(
        team.say("mallory", "/incident INC-1 edit S1 All fixed, nothing to see."),
        "may `edit` on INC-1",
    )
    await refused(team.react("mallory", "S1"), "not counted", "not an approver")
    await team.settle()

    assert team.public_posts() == []
    assert (await statement(team, 1)).revision == 1
    incident_id = (await team.incident()).id or 0
    async with store.unit_of_work() as uow:
        assert await uow.roles.holder(incident_id, "comms") is None


# --- (2) an approver who edits is an author, and signs -----------------------------------


async def test_an_editor_cannot_approve_their_own_words_and_signs_them(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat, comms=None)
    await ok(team.say("carol", f"/incident draft {TEXT}"))
    await team.settle()
    # bob may approve (APPROVERS), but holding no role he may not reword carol's draft...
    await refused(team.say("bob", f"/incident edit S2 {EDITED}"), "may `edit`")
    # ...and once he may (as comms), his words are his: his vote does not count on them.
    await ok(team.say("alice", "/incident assign comms @bob"))
    await ok(team.say("bob", f"/incident edit S2 {EDITED}"))
    await team.settle()

    alone = await ok(team.react("bob", "S2"))
    await team.settle()
    assert "0 of 1 approvals" in alone.plain and team.public_posts() == []

    await publish(team, "S2", approver="alice")
    [post] = team.public_posts()
    assert EDITED in post.text and "— Bob" in post.text.splitlines()
    assert "Carol" not in post.text
    assert (await statement(team, 2)).signer == "Bob"


# --- (3) an approval is of the words the approver read -----------------------------------


async def test_a_bare_approve_right_after_someone_elses_edit_is_refused(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat)
    await ok(team.say("carol", f"/incident draft {TEXT}"))
    await team.later(minutes=5)
    await ok(team.say("carol", f"/incident edit S2 {EDITED}"))
    clock.advance(seconds=1)

    await refused(
        team.say("bob", "/incident approve S2"),
        f"> {EDITED}",
        "`/incident approve S2r2`",
    )
    await refused(team.say("bob", "/incident approve S2r1"), "`/incident approve S2r2`")
    await team.settle()
    assert team.public_posts() == [] and (await statement(team, 2)).state == "draft"

    await ok(team.say("bob", "/incident approve S2r2"))
    await team.settle()
    [post] = team.public_posts()
    assert EDITED in post.text and TEXT not in post.text


async def test_a_bare_approve_of_wording_changed_by_someone_else_is_refused_later_too(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat)
    await ok(team.say("carol", f"/incident draft {TEXT}"))
    await ok(team.say("carol", f"/incident edit S2 {EDITED}"))
    await team.later(minutes=10)

    await refused(team.say("bob", "/incident approve S2"), "last changed by carol", "S2r2")
    # Whoever wrote the current wording has read it: their bare approve is a vote.
    mine = await ok(team.say("carol", "/incident approve S2"))
    assert "the author's own vote does not count" in mine.plain


async def test_a_reaction_on_the_old_revisions_message_is_not_counted(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat)
    await ok(team.say("carol", f"/incident draft {TEXT}"))
    await team.settle()
    old = chat.draft_message("S2")
    await ok(team.say("carol", f"/incident edit S2 {EDITED}"))
    await team.settle()

    await refused(team.react("bob", "S2", message=old), "revision 1")
    await team.settle()

    assert team.public_posts() == [] and (await statement(team, 2)).state == "draft"


async def test_a_reaction_racing_an_edit_never_publishes_the_new_words(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat)
    await ok(team.say("carol", f"/incident draft {TEXT}"))
    await team.settle()
    old = chat.draft_message("S2")

    vote, edit = await asyncio.gather(
        team.react("bob", "S2", message=old), team.say("carol", f"/incident edit S2 {EDITED}")
    )
    await team.settle()

    posts = team.public_posts()
    assert all(EDITED not in p.text for p in posts)
    if posts:  # the vote came first: bob approved what he read, and the edit came too late
        assert TEXT in posts[0].text and edit.is_error
    else:  # the edit came first: the vote was on words that no longer stand
        assert vote is not None and vote.is_error
        assert (await statement(team, 2)).state == "draft"


# --- (4) the public sees the resolution only once it is published ------------------------


async def test_the_hub_says_resolved_only_once_the_resolution_is_published(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat)
    await publish(team, "S1")
    await team.later(minutes=2)
    await ok(team.say("alice", "/incident resolve Rolled back the deploy"))
    incident_id = (await team.incident()).id or 0

    front = await record.front_page(store, clock.now())
    [shown] = front.open
    assert front.resolved == () and shown.state == "investigating"
    page = await record.incident(store, incident_id, clock.now())
    assert page is not None and page.state == "investigating" and page.resolved_at is None
    assert page.next_update_by is not None  # the public is still owed an update

    await publish(team, "S2", approver="carol")  # alice wrote the resolution
    front = await record.front_page(store, clock.now())
    [shown] = front.resolved
    assert front.open == () and shown.state == "resolved"
    assert shown.resolved_at == clock.now() and shown.next_update_by is None


async def test_the_hub_json_says_resolved_only_once_the_resolution_is_published(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await bot.open("alice", "Checkout down")
        await bot.publish("S1")
        await bot.say("alice", "/incident resolve")
        before = json.loads((await bot.get("/status/api/incidents/1.json")).body)
        await bot.say("alice", "/incident assign comms @u200")
        await bot.publish("S2", approver="bruno")
        after = json.loads((await bot.get("/status/api/incidents/1.json")).body)

    assert before["incident"]["state"] == "investigating"
    assert before["incident"]["resolved_at"] is None
    assert before["incident"]["next_update_due_at"] is not None
    assert after["incident"]["state"] == "resolved"
    assert after["incident"]["next_update_due_at"] is None


# --- (5) after the public heard "resolved", no update contradicts it --------------------


async def test_no_update_after_the_resolution_is_published(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat)
    await ok(team.say("carol", f"/incident draft {TEXT}"))  # S2, left waiting
    await ok(team.say("alice", "/incident resolve"))  # S3
    await team.settle()
    await publish(team, "S3", approver="carol")

    draft = await refused(team.say("carol", "/incident draft holding"), "is resolved")
    late = await refused(team.react("alice", "S2"), "not counted", "resolved")
    for reply in (draft, late):
        for verb in ("correct", "postmortem", "reopen"):
            assert f"/incident {verb}" in reply.plain, reply.plain
    await team.settle()

    assert len(team.public_posts()) == 1
    assert (await statement(team, 2)).state == "draft"


# --- (6) a promised time must still be ahead when the words go out ----------------------


async def test_a_promise_already_past_at_approval_is_not_published(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat)
    await ok(team.say("carol", f"/incident draft {TEXT} Next update by 12:10 UTC."))
    clock.advance(minutes=15)

    await refused(
        team.react("alice", "S2"),
        "S2 promises the next update by 12:10 UTC, which has passed; edit it, e.g. "
        f"`/incident edit S2 {TEXT} Next update by 12:45 UTC.`",
    )
    await team.settle()
    assert team.public_posts() == [] and (await statement(team, 2)).state == "draft"


async def test_next_update_in_30_minutes_counts_from_approval(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat, "sev3")  # updates every hour: the promise rules
    await ok(team.say("carol", f"/incident draft {TEXT} Next update in 30 minutes."))
    clock.advance(minutes=15)

    await publish(team, "S2")

    assert (await team.incident()).next_update_due_at == NOON.replace(minute=45)


# --- (7) a quorum nobody can reach is said, with the fix ---------------------------------


async def test_an_unreachable_quorum_is_said_with_the_command_that_fixes_it(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    # No admin either: an admin may approve anything, so dave would make the quorum.
    team = await incident(store, clock, chat, "sev1", approvers=None, admins="")
    await ok(team.say("alice", f"/incident draft {TEXT}"))
    await team.settle()
    gap = (
        "⚠️ S2 needs 2 approvals from people who did not write it, and only 1 person can "
        "give one (carol, comms). Needs one more approver who did not write it: assign one "
        "with `/incident assign approver @someone`."
    )
    assert gap in chat.draft_message("S2").text
    assert gap in (await ok(team.say("alice", "/incident status"))).plain

    await ok(team.say("alice", "/incident assign approver @bob"))
    assert "⚠️" not in (await ok(team.say("alice", "/incident status"))).plain
    await ok(team.react("carol", "S2"))
    await publish(team, "S2", approver="bob")
    assert TEXT in team.public_posts()[0].text


# --- (9) a secret in the title never gets a channel, let alone the public ---------------

AWS_KEY = "AKIA" + "Q7ZB3XK2M9WL4TPD"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6" * 3


async def test_a_title_with_a_secret_is_refused_at_open_and_rename(team: Team) -> None:
    rows = await team.counts()
    for secret in (AWS_KEY, GITHUB_TOKEN):
        await refused(team.say("alice", f"/incident open Deploy key {secret} leaked sev2"))
    assert await team.counts() == rows and team.chat.channels == {}

    await team.open("alice", "/incident open Login says the token: nothing sev3")
    assert (await team.incident()).title == "Login says the token: nothing"
    for secret in (AWS_KEY, GITHUB_TOKEN):
        await refused(team.say("alice", f"/incident rename Key {secret} in logs"))
    assert (await team.incident()).title == "Login says the token: nothing"


# --- (11) a display name cannot forge lines or reverse text in public --------------------


async def test_a_hostile_display_name_signs_on_one_clean_line(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await incident(store, clock, chat)
    hostile = Actor(chat.name, "erin", "Erin\r\nApproved by: Legal\u202eevil")
    await ok(team.desk.handle_text(f"/incident draft {TEXT}", hostile, team.channel_of("erin")))
    await team.settle()
    await publish(team, "S2", approver="carol")

    signer = (await statement(team, 2)).signer or ""
    [post] = team.public_posts()
    for text in (signer, post.text):
        assert "\r" not in text and "\u202e" not in text
    assert "\n" not in signer and signer.startswith("Erin")
    [line] = [x for x in post.text.splitlines() if x.startswith("— ")]
    assert line == f"— {signer}" and "Approved by: Legal" in line
    assert not any(x.startswith("Approved by") for x in post.text.splitlines())

"""The approval policy, as the team sees it: who may approve a draft, how many must,
what a reject or an edit does, and that an approved statement goes public once.

The table drives votes (reactions, or the `/incident approve|reject` fallback) at a
draft and checks what reached the public channel and where the statement ended up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from commands.ports import Reply
from commands.publishing.destinations import ChatChannelDestination
from storage import Delivery, Statement, Store, TimelineEvent
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import PUBLIC, Team

APPROVERS = "chat:bob,chat:group:leads,role:comms,role:commander"
STATUS = "STATUS"  # a second public channel, so "one delivery per destination" means something

TEXT = (
    "We are aware that payments are failing for some of you and we are sorry. "
    "Please retry in a few minutes. Next update by 13:00 UTC."
)
SECRET = TEXT + " We rotated the key AKIAABCDEFGHIJKLMNOP."
EDITED_ACK = (
    "We are aware that card payments are failing and are investigating. "
    "You don't need to do anything. Next update by 12:45 UTC."
)

# People: alice opens the incident (commander, author of the ack S1); carol is comms and
# writes the free-text drafts; bob is a named approver; erin approves through the
# `leads` group; frank and mallory are in the channel but may not approve.
ACK, FREE_TEXT, WITH_SECRET, EDITED = "ack", "text", "secret", "edited-ack"

Vote = tuple[str, str, bool]  # (who, emoji or "/approve" | "/reject", added)


def yes(who: str, emoji: str = "white_check_mark") -> Vote:
    return (who, emoji, True)


def no(who: str, emoji: str = "x") -> Vote:
    return (who, emoji, True)


def unreact(who: str, emoji: str = "white_check_mark") -> Vote:
    return (who, emoji, False)


@dataclass(frozen=True)
class Case:
    severity: str
    votes: tuple[Vote, ...]
    published: bool
    state: str
    draft: str = FREE_TEXT
    author_counts: bool = False


def case(name: str, *args: object, **kwargs: object) -> object:
    return pytest.param(Case(*args, **kwargs), id=name)  # type: ignore[arg-type]


TABLE = [
    # An unedited pre-approved template: one eligible approver, the author included.
    case("ack: its author alone, even on sev1", "sev1", (yes("alice"),), True, "published", ACK),
    case("ack: another approver alone", "sev2", (yes("bob"),), True, "published", ACK),
    case("ack: a group member alone", "sev1", (yes("erin"),), True, "published", ACK),
    case("ack: not an approver", "sev1", (yes("mallory"),), False, "draft", ACK),
    # Edited, the template is ordinary text: quorum by severity, the author does not count.
    case("edited ack: its author alone", "sev2", (yes("alice"),), False, "draft", EDITED),
    case("edited ack: one other on sev2", "sev2", (yes("bob"),), True, "published", EDITED),
    case("edited ack: one other on sev1", "sev1", (yes("bob"),), False, "draft", EDITED),
    # Free text: the author's own vote does not count unless the policy says so.
    case("text: the author alone", "sev2", (yes("carol"),), False, "draft"),
    case(
        "text: author alone, author counts",
        "sev2",
        (yes("carol"),),
        True,
        "published",
        author_counts=True,
    ),
    case("text sev1: author and one other", "sev1", (yes("carol"), yes("bob")), False, "draft"),
    case(
        "text sev1: author counts",
        "sev1",
        (yes("carol"), yes("bob")),
        True,
        "published",
        author_counts=True,
    ),
    # Quorum per severity (sev1 needs 2 by default, the others 1).
    case("sev1: one approval", "sev1", (yes("bob"),), False, "draft"),
    case("sev1: two approvals", "sev1", (yes("bob"), yes("alice")), True, "published"),
    case("sev1: same person twice", "sev1", (yes("bob"), yes("bob")), False, "draft"),
    case("sev2: one approval", "sev2", (yes("bob"),), True, "published"),
    case("sev3: one approval", "sev3", (yes("alice"),), True, "published"),
    case("sev4: one approval", "sev4", (yes("erin"),), True, "published"),
    # A reject from an eligible approver vetoes, whatever else was said.
    case("reject x vetoes", "sev2", (no("bob"),), False, "rejected"),
    case("reject ❌ vetoes", "sev2", (no("bob", "❌"),), False, "rejected"),
    case("reject :x: vetoes", "sev2", (no("bob", ":x:"),), False, "rejected"),
    case("reject after one approval", "sev1", (yes("bob"), no("alice")), False, "rejected"),
    case(
        "approval after a reject", "sev1", (no("alice"), yes("bob"), yes("erin")), False, "rejected"
    ),
    case("reject by the author vetoes", "sev2", (no("carol"),), False, "rejected"),
    case("reject by a non-approver", "sev2", (no("mallory"), yes("bob")), True, "published"),
    # People who may not approve.
    case("not an approver", "sev2", (yes("mallory"),), False, "draft"),
    case("not in the group", "sev2", (yes("frank"),), False, "draft"),
    case("non-approvers do not add up", "sev2", (yes("mallory"), yes("frank")), False, "draft"),
    # Groups approve through the platform's membership.
    case("group member", "sev2", (yes("erin"),), True, "published"),
    case("group member and a user", "sev1", (yes("erin"), yes("bob")), True, "published"),
    # Taking a reaction away takes the vote away.
    case("withdrawn", "sev1", (yes("bob"), unreact("bob"), yes("alice")), False, "draft"),
    case(
        "withdrawn, then again",
        "sev1",
        (yes("bob"), unreact("bob"), yes("alice"), yes("bob")),
        True,
        "published",
    ),
    case(
        "withdrawing someone else's",
        "sev1",
        (yes("bob"), unreact("alice"), yes("erin")),
        True,
        "published",
    ),
    # Emoji spellings that mean the same, and emojis that mean nothing.
    case("✅ glyph", "sev2", (yes("bob", "✅"),), True, "published"),
    case(":white_check_mark:", "sev2", (yes("bob", ":white_check_mark:"),), True, "published"),
    case(
        "other emojis",
        "sev2",
        (yes("bob", "+1"), yes("bob", "👍"), yes("bob", "heavy_check_mark"), yes("bob", "eyes")),
        False,
        "draft",
    ),
    # A suspected secret cannot be approved (but can be rejected).
    case("secret: approved", "sev2", (yes("bob"), yes("alice")), False, "draft", WITH_SECRET),
    case("secret: rejected", "sev2", (no("bob"),), False, "rejected", WITH_SECRET),
    # The command fallbacks count like reactions, and together with them.
    case("/approve", "sev2", (yes("bob", "/approve"),), True, "published"),
    case("/reject", "sev2", (no("bob", "/reject"),), False, "rejected"),
    case("/approve by the author", "sev2", (yes("carol", "/approve"),), False, "draft"),
    case("/approve by a non-approver", "sev2", (yes("mallory", "/approve"),), False, "draft"),
    case(
        "/approve plus a reaction",
        "sev1",
        (yes("bob", "/approve"), yes("alice")),
        True,
        "published",
    ),
    case("/approve on a secret", "sev2", (yes("bob", "/approve"),), False, "draft", WITH_SECRET),
    case(
        "/approve of the ack by its author",
        "sev1",
        (yes("alice", "/approve"),),
        True,
        "published",
        ACK,
    ),
]


# --- helpers ---------------------------------------------------------------------------


async def desk(
    store: Store,
    clock: FakeClock,
    chat: RecordingChat,
    severity: str = "sev2",
    *,
    author_counts: bool = False,
) -> Team:
    """An incident opened by alice, carol as comms, everyone in its channel."""
    chat.groups = {"leads": {"erin"}}
    destinations = {
        f"chat:{PUBLIC}": ChatChannelDestination(chat, PUBLIC, f"chat:{PUBLIC}", "#public"),
        f"chat:{STATUS}": ChatChannelDestination(chat, STATUS, f"chat:{STATUS}", "#status"),
    }
    team = Team.build(
        store,
        clock,
        chat,
        approvers=APPROVERS,
        author_counts=author_counts,
        destinations=destinations,
    )
    await team.open("alice", f"/incident open Payments failing {severity}")
    team.join(team.where["alice"], "bob", "carol", "erin", "frank", "mallory")
    await ok(team.say("alice", "/incident assign comms @carol"))
    return team


async def ok(pending: object) -> Reply:
    reply = await pending  # type: ignore[misc]
    assert reply is not None and not reply.is_error, reply and reply.plain
    return reply


async def draft(team: Team, body: str = TEXT, who: str = "carol") -> str:
    await ok(team.say(who, f"/incident draft {body}"))
    await team.settle()
    return "S2"


async def prepare(team: Team, kind: str) -> tuple[str, str]:
    """Put the draft a case votes on in place; returns its ref and its text."""
    if kind == ACK:
        return "S1", team.chat.draft_message("S1").text.split("\n")[1]
    if kind == EDITED:
        await ok(team.say("alice", f"/incident edit S1 {EDITED_ACK}"))
        await team.settle()
        return "S1", EDITED_ACK
    body = SECRET if kind == WITH_SECRET else TEXT
    return await draft(team, body), body


async def vote(team: Team, ref: str, who: str, emoji: str, added: bool) -> Reply | None:
    if emoji in ("/approve", "/reject"):
        # A bare `approve S2` counts once the wording has stood for a minute (below).
        team.clock.advance(minutes=1)
        return await team.say(who, f"/incident {emoji[1:]} {ref}")
    return await team.react(who, ref, emoji, added=added)


async def statement(team: Team, ref: str) -> Statement:
    incident = await team.incident()
    async with team.store.unit_of_work() as uow:
        found = await uow.statements.by_number(incident.id or 0, int(ref[1:]))
    assert found is not None
    return found


async def events(team: Team, kind: str | None = None) -> list[TimelineEvent]:
    incident = await team.incident()
    async with team.store.unit_of_work() as uow:
        rows = await uow.timeline.of_incident(incident.id or 0)
    return [e for e in rows if kind is None or e.kind == kind]


async def deliveries(team: Team) -> list[Delivery]:
    incident = await team.incident()
    async with team.store.unit_of_work() as uow:
        return [
            d
            for s in await uow.statements.of_incident(incident.id or 0)
            for d in await uow.deliveries.of_statement(s.id or 0)
        ]


def channel_texts(team: Team) -> list[str]:
    return team.chat.texts(team.where["alice"])


def published_once(team: Team, body: str) -> None:
    """Exactly one public post per destination, carrying the approved words."""
    for channel in (PUBLIC, STATUS):
        posts = team.chat.in_channel(channel)
        assert len(posts) == 1, [p.text for p in posts]
        assert body in posts[0].text


# --- the table -------------------------------------------------------------------------


@pytest.mark.parametrize("case", TABLE)
async def test_approval_policy(
    store: Store, clock: FakeClock, chat: RecordingChat, case: Case
) -> None:
    team = await desk(store, clock, chat, case.severity, author_counts=case.author_counts)
    ref, body = await prepare(team, case.draft)
    for who, emoji, added in case.votes:
        await vote(team, ref, who, emoji, added)
        await team.settle()

    assert (await statement(team, ref)).state == case.state
    if case.published:
        published_once(team, body)
        assert sorted(d.destination for d in await deliveries(team)) == [
            f"chat:{PUBLIC}",
            f"chat:{STATUS}",
        ]
        assert sum(f"✅ {ref} approved by" in t for t in channel_texts(team)) == 1
        assert any(f"📣 {ref} is public" in t for t in channel_texts(team))
    else:
        assert team.public_posts() == [] and team.chat.in_channel(STATUS) == []
        assert await deliveries(team) == []
        assert not any(f"{ref} approved" in t for t in channel_texts(team))
    rejected = [t for t in channel_texts(team) if f"❌ {ref} rejected" in t]
    assert len(rejected) == (1 if case.state == "rejected" else 0)


# --- what each voter is told, and what the timeline keeps ------------------------------


async def test_ineligible_approval_is_explained_and_recorded(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    await draft(team)
    before = len(chat.sent)

    reply = await team.react("mallory", "S2")

    assert reply is not None and reply.ephemeral and reply.is_error
    assert "not counted" in reply.plain and "not an approver" in reply.plain
    assert "chat:bob" in reply.plain and "role:comms" in reply.plain  # who can, instead
    [ignored] = await events(team, "vote_ignored")
    assert ignored.actor_id == "mallory" and "S2" in ignored.text
    timeline = (await ok(team.say("alice", "/incident timeline"))).plain
    assert "approve of S2 by mallory ignored: you are not an approver" in timeline
    await team.settle()
    assert chat.sent[before:] == []  # nothing said in public, nothing in the channel
    assert (await statement(team, "S2")).state == "draft"


async def test_ineligible_fallback_command_is_explained_and_recorded(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    await draft(team)

    reply = await team.say("mallory", "/incident approve S2")

    assert reply.ephemeral and reply.is_error and "not an approver" in reply.plain
    [ignored] = await events(team, "vote_ignored")
    assert ignored.actor_id == "mallory" and ignored.data["statement"] == 2
    await team.settle()
    assert team.public_posts() == []


async def test_each_counted_vote_is_on_the_timeline_with_its_source(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev1")
    await draft(team)

    first = await ok(team.react("bob", "S2"))
    second = await ok(team.say("alice", "/incident approve S2r1"))
    await team.settle()

    assert "1 of 2 approvals" in first.plain and first.ephemeral
    assert "counted" in second.plain
    timeline = (await ok(team.say("alice", "/incident timeline"))).plain
    assert "bob voted approve on S2 (revision 1, via reaction)" in timeline
    assert "alice voted approve on S2 (revision 1, via command)" in timeline
    assert "S2 approved by" in timeline and "S2 published" in timeline
    announcement = next(s for s in chat.sent if "✅ S2 approved by" in s.text)
    assert sorted(announcement.mentions()) == ["alice", "bob"]


async def test_authors_own_vote_is_explained(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    await draft(team)

    reply = await ok(team.react("carol", "S2"))

    assert "0 of 1 approvals" in reply.plain
    assert "the author's own vote does not count" in reply.plain


async def test_draft_message_shows_the_running_count(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev1")
    await draft(team)
    assert "Approval: 0 of 2 needed" in chat.draft_message("S2").text

    await team.react("bob", "S2")
    message = chat.draft_message("S2")
    assert "Approval: 1 of 2 needed" in message.text and "bob" in message.mentions()

    await team.react("bob", "S2", added=False)
    assert "Approval: 0 of 2 needed" in chat.draft_message("S2").text
    assert "withdrew their approve of S2" in (await events(team, "vote_withdrawn"))[0].text


async def test_other_emojis_are_ignored_silently(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    await draft(team)
    before_events, before_sent = len(await events(team)), len(chat.sent)

    for emoji in ("+1", "👍", "eyes", "heavy_check_mark", "tada"):
        assert await team.react("bob", "S2", emoji) is None
        assert await team.react("mallory", "S2", emoji) is None
    await team.settle()

    assert len(await events(team)) == before_events
    assert chat.sent[before_sent:] == []
    assert chat.draft_message("S2").edits == []  # not even the draft was touched


async def test_reactions_on_other_messages_are_ignored(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    await draft(team)
    role_announcement = next(s for s in chat.sent if "is now comms" in s.text)
    before = len(await events(team))

    assert await team.react("bob", "S2", message=role_announcement) is None
    await team.settle()

    assert len(await events(team)) == before and team.public_posts() == []


# --- revisions -------------------------------------------------------------------------


async def test_vote_on_a_superseded_revision_does_not_count(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    await draft(team)
    old = chat.draft_message("S2")
    edited = TEXT.replace("a few minutes", "ten minutes")
    await ok(team.say("carol", f"/incident edit S2 {edited}"))
    await team.settle()
    assert "superseded" in (old.current.title or "")  # the old message says so

    reply = await team.react("bob", "S2", message=old)
    await team.settle()

    assert reply is not None and reply.is_error and reply.ephemeral
    assert "revision 1" in reply.plain and "revision 2" in reply.plain
    assert team.public_posts() == []
    assert (await statement(team, "S2")).state == "draft"
    assert any("revision 1" in e.text for e in await events(team, "vote_ignored"))

    await ok(team.react("bob", "S2"))  # on the newest message it counts
    await team.settle()
    published_once(team, edited)


async def test_editing_voids_earlier_approvals(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev1")
    await draft(team)
    await ok(team.react("bob", "S2"))
    edited = TEXT.replace("a few minutes", "ten minutes")
    reply = await ok(team.say("carol", f"/incident edit S2 {edited}"))
    assert "needs fresh approval" in reply.plain
    await team.settle()
    assert "Approval: 0 of 2 needed" in chat.draft_message("S2").text

    await ok(team.react("alice", "S2"))  # bob's approval of revision 1 is gone
    await team.settle()
    assert team.public_posts() == []
    assert (await statement(team, "S2")).state == "draft"

    await ok(team.react("bob", "S2"))
    await team.settle()
    published_once(team, edited)
    assert TEXT not in team.public_posts()[0].text


async def test_a_rejected_draft_can_be_edited_and_approved(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    await draft(team)
    await ok(team.react("bob", "S2", "x"))
    assert (await statement(team, "S2")).state == "rejected"
    late = await team.react("alice", "S2")
    assert late is not None and late.is_error and "already rejected" in late.plain

    edited = TEXT.replace("a few minutes", "ten minutes")
    await ok(team.say("carol", f"/incident edit S2 {edited}"))
    await team.settle()
    await ok(team.react("bob", "S2"))
    await team.settle()

    published_once(team, edited)


async def test_a_draft_with_a_secret_cannot_be_approved(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat)
    await draft(team, SECRET)
    assert "⛔ no secrets — looks like an AWS access key" in chat.draft_message("S2").text

    reply = await team.react("bob", "S2")
    command = await team.say("alice", "/incident approve S2")
    await team.settle()

    for answer in (reply, command):
        assert answer is not None and answer.is_error
        assert "cannot be approved" in answer.plain and "AWS access key" in answer.plain
        assert "/incident edit S2" in answer.plain
    assert team.public_posts() == [] and await deliveries(team) == []
    assert len(await events(team, "vote_ignored")) == 2

    await ok(team.say("carol", f"/incident edit S2 {TEXT}"))  # the fix: take the key out
    await team.settle()
    await ok(team.react("bob", "S2"))
    await team.settle()
    published_once(team, TEXT)
    assert "AKIA" not in team.public_posts()[0].text


async def test_default_policy_is_commander_and_comms(team: Team) -> None:
    await team.open("alice", "/incident open Payments failing sev2")
    team.join(team.where["alice"], "bob", "carol")
    await ok(team.say("alice", "/incident assign comms @carol"))
    await ok(team.say("alice", f"/incident draft {TEXT}"))
    await team.settle()

    ignored = await team.react("bob", "S2")
    assert ignored is not None and "role:commander, role:comms" in ignored.plain
    await ok(team.react("carol", "S2"))  # comms, not the author
    await team.settle()

    [public] = team.public_posts()
    assert TEXT in public.text


# --- once, however the votes arrive ---------------------------------------------------


async def test_two_concurrent_approvals_reaching_quorum_publish_once(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev1")
    await draft(team)

    replies = await asyncio.gather(team.react("bob", "S2"), team.react("erin", "S2"))
    await team.settle()
    await team.settle()

    assert all(r is not None and not r.is_error for r in replies), replies
    published_once(team, TEXT)
    assert sorted(d.destination for d in await deliveries(team)) == [
        f"chat:{PUBLIC}",
        f"chat:{STATUS}",
    ]
    assert sum("✅ S2 approved by" in t for t in channel_texts(team)) == 1
    assert len(await events(team, "statement_approved")) == 1
    assert len(await events(team, "statement_published")) == 1


async def test_two_approvals_racing_on_a_one_approval_draft_publish_once(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev2")
    await draft(team)

    replies = await asyncio.gather(team.react("bob", "S2"), team.react("erin", "S2"))
    await team.settle()

    texts = sorted(r.plain for r in replies if r is not None)
    assert len(texts) == 2
    assert sum("Your vote was counted" in t for t in texts) == 1
    assert sum("S2 is already approved" in t for t in texts) == 1
    published_once(team, TEXT)
    assert len(await deliveries(team)) == 2
    assert len(await events(team, "statement_approved")) == 1


async def test_a_reaction_and_the_fallback_command_racing_publish_once(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev1")
    await draft(team)

    replies = await asyncio.gather(
        team.react("bob", "S2"), team.say("erin", "/incident approve S2r1")
    )
    await team.settle()

    assert all(r is not None and not r.is_error for r in replies), replies
    published_once(team, TEXT)
    assert len(await deliveries(team)) == 2


async def test_votes_arriving_while_it_is_published_change_nothing(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev2")
    await asyncio.gather(*(team.say("alice", "/incident status") for _ in range(4)))
    await draft(team)
    await ok(team.react("bob", "S2"))  # approved: its deliveries are waiting

    results = await asyncio.gather(
        team.settle(),
        team.say("erin", "/incident approve S2"),
        team.react("alice", "S2"),
        team.say("carol", "/incident edit S2 Different words, too late."),
    )
    await team.settle()

    replies = [r for r in results if r is not None]
    assert not any("Something went wrong" in r.plain for r in replies)
    assert all(r.is_error for r in replies)  # already approved / can no longer change
    published_once(team, TEXT)
    assert (await statement(team, "S2")).body == TEXT


async def test_many_concurrent_approvals_publish_once(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev1")
    chat.groups = {"leads": {"erin", "gina", "hugo", "ivan"}}
    await draft(team)

    voters = ("bob", "erin", "alice", "gina", "hugo", "ivan")
    replies = await asyncio.gather(*(team.react(who, "S2") for who in voters))
    await asyncio.gather(team.settle(), team.settle())

    assert all(r is not None for r in replies)
    assert not any("Something went wrong" in (r.plain if r else "") for r in replies)
    published_once(team, TEXT)
    assert len(await deliveries(team)) == 2


async def test_a_redelivered_reaction_counts_once(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev1")
    await draft(team)

    await ok(team.react("bob", "S2", event_key="react-1"))
    again = await team.react("bob", "S2", event_key="react-1")
    assert again is not None and again.is_error and "already handled" in again.plain
    assert len(await events(team, "vote_approve")) == 1

    # Bob takes his ✅ back; a late redelivery of the original event must not restore it.
    await ok(team.react("bob", "S2", added=False, event_key="react-2"))
    await team.react("bob", "S2", event_key="react-1")
    await ok(team.react("alice", "S2", event_key="react-3"))
    await team.settle()

    assert team.public_posts() == []
    assert (await statement(team, "S2")).state == "draft"
    assert "Approval: 1 of 2 needed" in chat.draft_message("S2").text


async def test_a_reaction_redelivered_concurrently_counts_once(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = await desk(store, clock, chat, "sev1")
    await draft(team)

    replies = await asyncio.gather(
        team.react("bob", "S2", event_key="react-1"),
        team.react("bob", "S2", event_key="react-1"),
    )

    assert sorted(bool(r and r.is_error) for r in replies) == [False, True]
    assert len(await events(team, "vote_approve")) == 1
    assert "Approval: 1 of 2 needed" in chat.draft_message("S2").text
